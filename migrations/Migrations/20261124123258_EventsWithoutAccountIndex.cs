using Billing.Migrations.Schema;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Billing.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class EventsWithoutAccountIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // billing_events loses its (account_id, occurred_at) index (see BillingEventConfiguration): nothing on a hot
            // path reads events by account, and every ingested event paid for it. Dropping it from the partitioned table
            // drops it from every partition.
            migrationBuilder.DropIndex(
                name: "ix_billing_events_account_occurred_at",
                schema: "billing",
                table: "billing_events");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Hand-written: every down-migration refuses while billing tables hold data unless forced.
            migrationBuilder.Sql(SchemaSql.RollbackGuard);

            migrationBuilder.CreateIndex(
                name: "ix_billing_events_account_occurred_at",
                schema: "billing",
                table: "billing_events",
                columns: new[] { "account_id", "occurred_at" });
        }
    }
}
