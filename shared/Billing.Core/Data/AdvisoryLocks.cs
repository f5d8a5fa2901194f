namespace Billing.Core.Data;

/// <summary>PostgreSQL advisory lock keys, in one place so no two uses collide.</summary>
public static class AdvisoryLocks
{
    /// <summary>Reference-data imports and re-rating: two operators cannot interleave changes to prices and their effect.</summary>
    public const long ReferenceData = 0x42494C4C494D5054; // "BILLIMPT"

    /// <summary>The monthly invoice run: one at a time.</summary>
    public const long InvoiceRun = 0x42494C4C494E5652; // "BILLINVR"
}
