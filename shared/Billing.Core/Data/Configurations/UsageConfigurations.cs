using Billing.Core.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Billing.Core.Data.Configurations;

internal sealed class BillingEventIdConfiguration : IEntityTypeConfiguration<BillingEventId>
{
    public void Configure(EntityTypeBuilder<BillingEventId> builder)
    {
        builder.ToTable("billing_event_ids");
        builder.HasKey(e => e.EventId);
    }
}

internal sealed class BillingEventConfiguration : IEntityTypeConfiguration<BillingEventEntity>
{
    public void Configure(EntityTypeBuilder<BillingEventEntity> builder)
    {
        // Created by the migration in SQL as a table partitioned by month of occurred_at. The primary key has to
        // include the partition key; billing_event_ids keeps the event id unique across partitions.
        builder.ToTable("billing_events", t =>
        {
            t.HasCheckConstraint("ck_billing_events_type",
                "type IN ('sms.submitted', 'sms.delivered', 'sms.failed', 'sms.expired')");
            t.HasCheckConstraint("ck_billing_events_segments", "segments BETWEEN 1 AND 255");
            t.HasCheckConstraint("ck_billing_events_status",
                "(status = 'rated' AND unrated_reason IS NULL AND currency IS NOT NULL AND amount IS NOT NULL)" +
                " OR (status = 'unrated' AND unrated_reason IN ('pricing_not_found', 'account_not_found') AND amount IS NULL)");
        });
        // Time first: events arrive roughly in time order, so new keys go to the right edge of the index (few pages
        // touched and logged per batch, where a random event id first would touch a page per event), and re-rating
        // pages through events in (occurred_at, event_id) order along it. Lookups by event id go through
        // billing_event_ids, which has the occurred_at.
        builder.HasKey(e => new { e.OccurredAt, e.EventId });
        builder.Property(e => e.Type).HasMaxLength(16);
        builder.Property(e => e.AccountId).HasMaxLength(64);
        builder.Property(e => e.MessageId).HasMaxLength(64);
        builder.Property(e => e.Operator).HasMaxLength(6);
        builder.Property(e => e.Country).HasMaxLength(2).IsFixedLength();
        builder.Property(e => e.Status).HasMaxLength(16);
        builder.Property(e => e.UnratedReason).HasMaxLength(32);
        builder.Property(e => e.Tier).HasMaxLength(32);
        builder.Property(e => e.Currency).HasMaxLength(3).IsFixedLength();
        builder.Property(e => e.CostCurrency).HasMaxLength(3).IsFixedLength();
        builder.Property(e => e.UnitPrice).HasPrecision(18, 6);
        builder.Property(e => e.Amount).HasPrecision(20, 6);
        builder.Property(e => e.UnitCost).HasPrecision(18, 6);
        builder.Property(e => e.Cost).HasPrecision(20, 6);
        // No index by account (migration EventsWithoutAccountIndex): per-account reads go through usage_summaries, and
        // what reads events by account reads unrated ones (the partial index below) or a time range (the key). Such an
        // index was the largest of the table's and cost ingestion about a sixth of PostgreSQL's CPU per event.
        builder.HasIndex(e => e.OccurredAt).HasFilter("status = 'unrated'").HasDatabaseName("ix_billing_events_unrated");
    }
}

internal sealed class UsageSummaryConfiguration : IEntityTypeConfiguration<UsageSummary>
{
    public void Configure(EntityTypeBuilder<UsageSummary> builder)
    {
        builder.ToTable("usage_summaries");
        builder.HasKey(s => new { s.AccountId, s.UsageDate, s.Operator, s.Currency });
        builder.Property(s => s.AccountId).HasMaxLength(64);
        builder.Property(s => s.Operator).HasMaxLength(6);
        builder.Property(s => s.Currency).HasMaxLength(3).IsFixedLength();
        builder.Property(s => s.Amount).HasPrecision(20, 6);
        builder.Property(s => s.Cost).HasPrecision(20, 6);
    }
}

internal sealed class DeadLetterConfiguration : IEntityTypeConfiguration<DeadLetter>
{
    public void Configure(EntityTypeBuilder<DeadLetter> builder)
    {
        builder.ToTable("dead_letters");
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Id).UseIdentityAlwaysColumn();
        builder.Property(d => d.Stream).HasMaxLength(64);
        builder.Property(d => d.Subject).HasMaxLength(256);
        builder.Property(d => d.ReasonCode).HasMaxLength(32);
        // A redelivered poison message (terminate lost on the way) must not become a second dead letter.
        builder.HasIndex(d => new { d.Stream, d.StreamSequence }).IsUnique().HasDatabaseName("ux_dead_letters_stream_sequence");
    }
}

internal sealed class IngestionStartConfiguration : IEntityTypeConfiguration<IngestionStart>
{
    public void Configure(EntityTypeBuilder<IngestionStart> builder)
    {
        builder.ToTable("ingestion_start", t => t.HasCheckConstraint("ck_ingestion_start_single_row", "id = 1"));
        builder.HasKey(i => i.Id);
        builder.Property(i => i.Id).ValueGeneratedNever();
    }
}
