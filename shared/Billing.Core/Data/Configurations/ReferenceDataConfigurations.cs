using Billing.Core.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Billing.Core.Data.Configurations;

internal sealed class AccountTierConfiguration : IEntityTypeConfiguration<AccountTier>
{
    public void Configure(EntityTypeBuilder<AccountTier> builder)
    {
        builder.ToTable("account_tiers");
        builder.HasKey(t => t.Code);
        builder.Property(t => t.Code).HasMaxLength(32);
        builder.Property(t => t.Name).HasMaxLength(100);
    }
}

internal sealed class MobileOperatorConfiguration : IEntityTypeConfiguration<MobileOperator>
{
    public void Configure(EntityTypeBuilder<MobileOperator> builder)
    {
        builder.ToTable("operators", t =>
        {
            t.HasCheckConstraint("ck_operators_mccmnc", "mccmnc ~ '^[0-9]{5,6}$'");
            t.HasCheckConstraint("ck_operators_country", "country ~ '^[A-Z]{2}$'");
        });
        builder.HasKey(o => o.MccMnc);
        builder.Property(o => o.MccMnc).HasColumnName("mccmnc").HasMaxLength(6);
        builder.Property(o => o.Name).HasMaxLength(100);
        builder.Property(o => o.Country).HasMaxLength(2).IsFixedLength();
    }
}

internal sealed class AccountConfiguration : IEntityTypeConfiguration<Account>
{
    public void Configure(EntityTypeBuilder<Account> builder)
    {
        builder.ToTable("accounts", t =>
        {
            t.HasCheckConstraint("ck_accounts_currency", "currency ~ '^[A-Z]{3}$'");
            t.HasCheckConstraint("ck_accounts_tax_rate", "tax_rate >= 0 AND tax_rate < 1");
        });
        builder.HasKey(a => a.AccountId);
        builder.Property(a => a.AccountId).HasMaxLength(64);
        builder.Property(a => a.Name).HasMaxLength(200);
        builder.Property(a => a.Tier).HasMaxLength(32);
        builder.Property(a => a.Currency).HasMaxLength(3).IsFixedLength();
        builder.Property(a => a.Email).HasMaxLength(254);
        builder.Property(a => a.TaxRate).HasPrecision(7, 6);
        builder.HasOne<AccountTier>().WithMany().HasForeignKey(a => a.Tier)
            .HasConstraintName("fk_accounts_tier").OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class PricingRuleConfiguration : IEntityTypeConfiguration<PricingRuleEntity>
{
    public void Configure(EntityTypeBuilder<PricingRuleEntity> builder)
    {
        // The no-overlap exclusion constraint is added by the migration in SQL (EF Core cannot express it).
        builder.ToTable("pricing_rules", t =>
        {
            t.HasCheckConstraint("ck_pricing_rules_currency", "currency ~ '^[A-Z]{3}$'");
            t.HasCheckConstraint("ck_pricing_rules_unit_price", "unit_price >= 0");
            t.HasCheckConstraint("ck_pricing_rules_charge_on", "charge_on IN ('submitted', 'delivered')");
            t.HasCheckConstraint("ck_pricing_rules_validity", "valid_to IS NULL OR valid_to > valid_from");
        });
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Id).UseIdentityAlwaysColumn();
        builder.Property(r => r.Tier).HasMaxLength(32);
        builder.Property(r => r.Operator).HasMaxLength(6);
        builder.Property(r => r.Currency).HasMaxLength(3).IsFixedLength();
        builder.Property(r => r.UnitPrice).HasPrecision(18, 6);
        builder.Property(r => r.ChargeOn).HasMaxLength(16);
        builder.HasIndex(r => new { r.Tier, r.Operator, r.Currency, r.ValidFrom }).IsUnique()
            .HasDatabaseName("ux_pricing_rules_key_valid_from");
        builder.HasOne<AccountTier>().WithMany().HasForeignKey(r => r.Tier)
            .HasConstraintName("fk_pricing_rules_tier").OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<MobileOperator>().WithMany().HasForeignKey(r => r.Operator)
            .HasConstraintName("fk_pricing_rules_operator").OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class OperatorCostConfiguration : IEntityTypeConfiguration<OperatorCostEntity>
{
    public void Configure(EntityTypeBuilder<OperatorCostEntity> builder)
    {
        // The no-overlap exclusion constraint is added by the migration in SQL (EF Core cannot express it).
        builder.ToTable("operator_costs", t =>
        {
            t.HasCheckConstraint("ck_operator_costs_currency", "currency ~ '^[A-Z]{3}$'");
            t.HasCheckConstraint("ck_operator_costs_unit_cost", "unit_cost >= 0");
            t.HasCheckConstraint("ck_operator_costs_validity", "valid_to IS NULL OR valid_to > valid_from");
        });
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).UseIdentityAlwaysColumn();
        builder.Property(c => c.Operator).HasMaxLength(6);
        builder.Property(c => c.Currency).HasMaxLength(3).IsFixedLength();
        builder.Property(c => c.UnitCost).HasPrecision(18, 6);
        builder.HasIndex(c => new { c.Operator, c.ValidFrom }).IsUnique()
            .HasDatabaseName("ux_operator_costs_key_valid_from");
        builder.HasOne<MobileOperator>().WithMany().HasForeignKey(c => c.Operator)
            .HasConstraintName("fk_operator_costs_operator").OnDelete(DeleteBehavior.Restrict);
    }
}
