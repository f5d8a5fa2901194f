using Billing.Migrations.Schema;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Billing.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class EventsKeyTimeFirst : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // billing_events' key leads with occurred_at (see BillingEventConfiguration): new events go to the right edge
            // of the index, and re-rating's keyset scan (occurred_at, event_id) reads along it. PostgreSQL builds the new
            // key on every partition.
            migrationBuilder.DropPrimaryKey(
                name: "pk_billing_events",
                schema: "billing",
                table: "billing_events");

            migrationBuilder.AddPrimaryKey(
                name: "pk_billing_events",
                schema: "billing",
                table: "billing_events",
                columns: new[] { "occurred_at", "event_id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Hand-written: every down-migration refuses while billing tables hold data unless forced.
            migrationBuilder.Sql(SchemaSql.RollbackGuard);

            migrationBuilder.DropPrimaryKey(
                name: "pk_billing_events",
                schema: "billing",
                table: "billing_events");

            migrationBuilder.AddPrimaryKey(
                name: "pk_billing_events",
                schema: "billing",
                table: "billing_events",
                columns: new[] { "event_id", "occurred_at" });
        }
    }
}
