namespace Billing.InvoiceWorker.Invoicing;

/// <summary>How invoices are made; bound from the <c>Invoicing</c> section.</summary>
public sealed class InvoiceOptions
{
    public const string Section = "Invoicing";

    /// <summary>Days from issue to due date.</summary>
    public int PaymentTermsDays { get; set; } = 30;

    /// <summary>
    /// Uploads in flight at once (renders run on as many lanes as there are cores, up to this). An upload mostly waits
    /// for the object store, which takes many puts at once for little more than the price of one: on the 2-core
    /// benchmark machine 32 stored 10,000 invoices in 59.5 s against 87.7 s with 4 (README, Performance).
    /// </summary>
    public int Parallelism { get; set; } = 32;

    /// <summary>Invoices numbered and inserted per transaction.</summary>
    public int IssueBatchSize { get; set; } = 200;

    /// <summary>
    /// How many months before the period prior-period adjustments look back (late or re-rated usage of an older month is
    /// not billed). Keep <c>billing_events</c> partitions at least this long: a month outside the look-back may be
    /// dropped without the run crediting it.
    /// </summary>
    public int AdjustmentLookbackMonths { get; set; } = 24;

    /// <summary>How long a run waits for another run (holding the advisory lock) to finish.</summary>
    public TimeSpan LockWait { get; set; } = TimeSpan.FromMinutes(30);

    public SupplierOptions Supplier { get; set; } = new();
}

/// <summary>The invoicing company, as printed on every invoice.</summary>
public sealed class SupplierOptions
{
    public string Name { get; set; } = "Ghasi Communications Ltd";

    public List<string> AddressLines { get; set; } = [];

    public string? TaxId { get; set; }

    public string? Email { get; set; }

    public string? PaymentDetails { get; set; }
}
