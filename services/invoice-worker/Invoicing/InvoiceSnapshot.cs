using System.Text.Json;
using System.Text.Json.Serialization;

namespace Billing.InvoiceWorker.Invoicing;

/// <summary>What an invoice shows besides its lines, frozen at issue (stored as <c>invoices.document</c>).</summary>
public sealed record InvoiceSnapshot(
    SupplierSnapshot Supplier, BillToSnapshot BillTo, IReadOnlyList<string> Notes);

public sealed record SupplierSnapshot(string Name, IReadOnlyList<string> AddressLines, string? TaxId, string? Email, string? PaymentDetails);

public sealed record BillToSnapshot(string AccountId, string Name, string Address, string Email);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(InvoiceSnapshot))]
public sealed partial class InvoiceSnapshotJsonContext : JsonSerializerContext;
