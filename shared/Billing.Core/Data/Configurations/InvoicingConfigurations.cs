using Billing.Core.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Billing.Core.Data.Configurations;

internal sealed class InvoiceRunConfiguration : IEntityTypeConfiguration<InvoiceRun>
{
    public void Configure(EntityTypeBuilder<InvoiceRun> builder)
    {
        builder.ToTable("invoice_runs", t =>
            t.HasCheckConstraint("ck_invoice_runs_status", "status IN ('running', 'succeeded', 'failed')"));
        builder.HasKey(r => r.Id);
        builder.Property(r => r.AccountFilter).HasMaxLength(64);
        builder.Property(r => r.Status).HasMaxLength(16);
        builder.HasIndex(r => r.StartedAt).HasDatabaseName("ix_invoice_runs_started_at");
    }
}

internal sealed class InvoiceConfiguration : IEntityTypeConfiguration<Invoice>
{
    public void Configure(EntityTypeBuilder<Invoice> builder)
    {
        builder.ToTable("invoices", t =>
        {
            t.HasCheckConstraint("ck_invoices_number", "number ~ '^INV-[0-9]{4}-[0-9]{6}$'");
            t.HasCheckConstraint("ck_invoices_period", "period_end > period_start");
            t.HasCheckConstraint("ck_invoices_total", "total = subtotal + tax");
            t.HasCheckConstraint("ck_invoices_status", "status IN ('issued', 'stored')");
        });
        builder.HasKey(i => i.Id);
        builder.Property(i => i.Number).HasMaxLength(16);
        builder.HasIndex(i => i.Number).IsUnique().HasDatabaseName("ux_invoices_number");
        builder.HasIndex(i => new { i.AccountId, i.Currency, i.PeriodStart }).IsUnique()
            .HasDatabaseName("ux_invoices_account_currency_period");
        builder.Property(i => i.AccountId).HasMaxLength(64);
        builder.Property(i => i.Currency).HasMaxLength(3).IsFixedLength();
        builder.Property(i => i.TaxRate).HasPrecision(7, 6);
        builder.Property(i => i.Subtotal).HasPrecision(20, 6);
        builder.Property(i => i.Tax).HasPrecision(20, 6);
        builder.Property(i => i.Total).HasPrecision(20, 6);
        builder.Property(i => i.Status).HasMaxLength(16);
        builder.Property(i => i.PdfBucket).HasMaxLength(63);
        builder.Property(i => i.PdfKey).HasMaxLength(512);
        builder.Property(i => i.PdfSha256).HasMaxLength(64).IsFixedLength();
        builder.Property(i => i.Document).HasColumnType("jsonb");
        builder.HasOne<Account>().WithMany().HasForeignKey(i => i.AccountId)
            .HasConstraintName("fk_invoices_account").OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<InvoiceRun>().WithMany().HasForeignKey(i => i.InvoiceRunId)
            .HasConstraintName("fk_invoices_invoice_run").OnDelete(DeleteBehavior.Restrict);
        builder.HasMany(i => i.Lines).WithOne().HasForeignKey(l => l.InvoiceId)
            .HasConstraintName("fk_invoice_lines_invoice").OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class InvoiceLineConfiguration : IEntityTypeConfiguration<InvoiceLine>
{
    public void Configure(EntityTypeBuilder<InvoiceLine> builder)
    {
        builder.ToTable("invoice_lines", t =>
        {
            t.HasCheckConstraint("ck_invoice_lines_kind", "kind IN ('usage', 'adjustment')");
            t.HasCheckConstraint("ck_invoice_lines_adjusted_period",
                "(kind = 'adjustment') = (adjusted_period_start IS NOT NULL)");
        });
        builder.HasKey(l => l.Id);
        builder.Property(l => l.Id).UseIdentityAlwaysColumn();
        builder.HasIndex(l => new { l.InvoiceId, l.LineNo }).IsUnique().HasDatabaseName("ux_invoice_lines_invoice_line_no");
        builder.Property(l => l.Kind).HasMaxLength(16);
        builder.Property(l => l.Operator).HasMaxLength(6);
        builder.Property(l => l.Description).HasMaxLength(500);
        builder.Property(l => l.UnitPrice).HasPrecision(18, 6);
        builder.Property(l => l.Amount).HasPrecision(20, 6);
    }
}

internal sealed class InvoiceNumberCounterConfiguration : IEntityTypeConfiguration<InvoiceNumberCounter>
{
    public void Configure(EntityTypeBuilder<InvoiceNumberCounter> builder)
    {
        builder.ToTable("invoice_number_counters", t =>
            t.HasCheckConstraint("ck_invoice_number_counters_range", "last_number BETWEEN 0 AND 999999"));
        builder.HasKey(c => c.Year);
        builder.Property(c => c.Year).ValueGeneratedNever();
    }
}

internal sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> builder)
    {
        builder.ToTable("outbox_messages");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Subject).HasMaxLength(256);
        builder.Property(m => m.MessageId).HasMaxLength(128);
        builder.Property(m => m.Payload).HasColumnType("jsonb");
        builder.HasIndex(m => m.CreatedAt).HasFilter("sent_at IS NULL").HasDatabaseName("ix_outbox_messages_unsent");
        builder.HasIndex(m => m.InvoiceId).HasDatabaseName("ix_outbox_messages_invoice_id");
    }
}
