using System.Globalization;
using System.Text;
using Billing.Core.Data;
using Billing.Core.Domain;
using Billing.Core.Rating;
using Billing.InvoiceWorker.Invoicing;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Billing.InvoiceBench;

/// <summary>A generated operator: the invoices' usage lines name it ("SMS to Orange Sénégal (60801)").</summary>
internal sealed record BenchOperator(string MccMnc, string Name, string Country, decimal UsdPrice, decimal UsdCost);

/// <summary>A generated account, billed in its country's currency at its country's tax rate.</summary>
internal sealed record BenchAccount(string Id, string Name, string Tier, string Currency, string Email, string Address, decimal TaxRate);

/// <summary>
/// The benchmark's data, generated from a seed so that every run invoices the same accounts: ten operators with
/// pricing for every active tier and currency of the sample, <c>N</c> accounts spread over the sample's tiers and
/// currencies (names in English, German, French, Greek and Turkish, as the sample's), and a month of rated usage in
/// which every account sends messages to every operator, so every invoice has one usage line per operator.
/// </summary>
internal static class BenchData
{
    /// <summary>Account ids are <c>bench-00001</c>, <c>bench-00002</c>, ...</summary>
    public const string AccountPrefix = "bench-";

    /// <summary>Prices and costs hold from here on, so any period the partitions cover can be invoiced.</summary>
    public static readonly DateOnly ValidFrom = new(2020, 1, 1);

    public static readonly IReadOnlyList<BenchOperator> Operators =
    [
        new("64004", "Vodacom Tanzania", "TZ", 0.0184m, 0.0120m),
        new("64005", "Airtel Tanzania", "TZ", 0.0171m, 0.0110m),
        new("62001", "MTN Ghana", "GH", 0.0296m, 0.0205m),
        new("62002", "Telecel Ghana", "GH", 0.0288m, 0.0198m),
        new("61203", "Orange Côte d'Ivoire", "CI", 0.0412m, 0.0290m),
        new("62401", "MTN Cameroon", "CM", 0.0395m, 0.0275m),
        new("63601", "Ethio Telecom", "ET", 0.0233m, 0.0160m),
        new("64501", "Airtel Zambia", "ZM", 0.0267m, 0.0185m),
        new("63510", "MTN Rwanda", "RW", 0.0219m, 0.0150m),
        new("60801", "Orange Sénégal", "SN", 0.0448m, 0.0310m),
    ];

    // The sample's active tiers, how they pay, and their discount on the standard price.
    private static readonly (string Tier, string ChargeOn, decimal Factor, int Share)[] Tiers =
    [
        ("standard", "submitted", 1.00m, 50),
        ("business", "submitted", 0.85m, 35),
        ("enterprise", "delivered", 0.78m, 15),
    ];

    // Currency, how much of a US dollar price it takes, and where its accounts are (country, tax rate, cities, streets, names).
    private static readonly (string Currency, decimal PerUsd)[] Currencies = [("KES", 129.0m), ("USD", 1m), ("EUR", 0.92m)];

    private sealed record Country(string Name, string Currency, decimal TaxRate, string[] Cities, string[] Streets, string[] Words, string[] Suffixes);

    private static readonly Country[] Countries =
    [
        new("Kenya", "KES", 0.16m, ["Nairobi", "Mombasa", "Kisumu", "Nakuru", "Eldoret"], ["Moi Avenue", "Kenyatta Road", "Ngong Road", "Waiyaki Way"],
            ["Jambo", "Savanna", "Rift Valley", "Kilimanjaro", "Tana", "Maasai Mara", "Lamu", "Amani"], ["Ltd", "Logistics Ltd", "Microfinance", "Schools", "Health Clinics"]),
        new("Nigeria", "USD", 0.075m, ["Lagos", "Abuja", "Ibadan", "Port Harcourt"], ["Admiralty Way", "Adeola Odeku Street", "Awolowo Road"],
            ["Naija", "Lekki", "Eko", "Zuma", "Niger Delta", "Ikoyi"], ["Pay", "Ride Share", "Foods Plc", "Couriers Ltd"]),
        new("South Africa", "USD", 0.15m, ["Cape Town", "Johannesburg", "Durban", "Pretoria"], ["Heerengracht", "Fox Street", "Florida Road", "Long Street"],
            ["Table Bay", "Joburg", "Highveld", "Karoo", "Drakensberg"], ["Bank Alerts", "Fibre (Pty) Ltd", "Events", "Insurance"]),
        new("Germany", "EUR", 0.19m, ["Berlin", "Hamburg", "München", "Düsseldorf", "Köln"], ["Königsallee", "Alexanderplatz", "Am Sandtorkai", "Schloßstraße"],
            ["Müller", "Schäfer", "Hafen", "Nordsee", "Großmarkt", "Bären"], ["& Söhne GmbH", "Logistik GmbH", "Verkehrs-App", "AG"]),
        new("France", "EUR", 0.20m, ["Paris", "Lyon", "Marseille", "Lille"], ["Rue de Rivoli", "Quai de la Loire", "Boulevard Haussmann", "Rue Sainte-Catherine"],
            ["Boulangerie Lefèvre", "Société Générale de Livraison", "Crédit Côtier", "Pâtisserie Émile", "Château"], ["SAS", "SARL", "SA"]),
        new("Greece", "EUR", 0.24m, ["Αθήνα", "Θεσσαλονίκη", "Πάτρα"], ["Λεωφόρος Κηφισίας", "Οδός Ερμού", "Λεωφόρος Συγγρού"],
            ["Αθηνά", "Ολυμπία", "Ποσειδών", "Αιγαίο"], ["Τηλεπικοινωνίες Α.Ε.", "Ναυτιλιακή Α.Ε.", "Μεταφορές Ε.Π.Ε."]),
        new("Turkey", "EUR", 0.20m, ["İstanbul", "İzmir", "Ankara"], ["Büyükdere Cad.", "İstiklal Cad.", "Atatürk Bulvarı"],
            ["İstanbul", "Boğaziçi", "Ege", "Kapadokya"], ["Kargo A.Ş.", "Lojistik A.Ş.", "Bilişim Ltd. Şti."]),
    ];

    public static string AccountId(int n) => string.Create(CultureInfo.InvariantCulture, $"{AccountPrefix}{n:D5}");

    public static IReadOnlyList<BenchAccount> Accounts(int count, int seed)
    {
        var random = new Random(seed);
        var accounts = new List<BenchAccount>(count);
        for (var n = 1; n <= count; n++)
        {
            var tier = Pick(random, Tiers, t => t.Share).Tier;
            var country = Countries[random.Next(Countries.Length)];
            var name = $"{country.Words[random.Next(country.Words.Length)]} {country.Suffixes[random.Next(country.Suffixes.Length)]} {n}";
            var id = AccountId(n);
            var address = $"{country.Streets[random.Next(country.Streets.Length)]} {random.Next(1, 300)}, {country.Cities[random.Next(country.Cities.Length)]}, {country.Name}";
            accounts.Add(new BenchAccount(id, name, tier, country.Currency, $"billing@{id}.example", address, country.TaxRate));
        }
        return accounts;
    }

    /// <summary>Writes operators.csv, pricing.csv, operator-costs.csv and accounts.csv in the importer's format.</summary>
    public static void WriteCsv(DirectoryInfo directory, int accounts, int seed, DateOnly validFrom)
    {
        directory.Create();
        var from = validFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Write("operators.csv", "mccmnc,name,country,active", Operators.Select(o => $"{o.MccMnc},{Csv(o.Name)},{o.Country},true"));
        Write("pricing.csv", "tier,operator,currency,unit_price,charge_on,valid_from,valid_to",
            from o in Operators
            from t in Tiers
            from c in Currencies
            select $"{t.Tier},{o.MccMnc},{c.Currency},{Decimal(Math.Round(o.UsdPrice * t.Factor * c.PerUsd, 4))},{t.ChargeOn},{from},");
        Write("operator-costs.csv", "operator,currency,unit_cost,valid_from,valid_to", Operators.Select(o => $"{o.MccMnc},USD,{Decimal(o.UsdCost)},{from},"));
        Write("accounts.csv", "account_id,name,tier,currency,email,address,tax_rate,active",
            Accounts(accounts, seed).Select(a => $"{a.Id},{Csv(a.Name)},{a.Tier},{a.Currency},{a.Email},{Csv(a.Address)},{Decimal(a.TaxRate)},true"));

        void Write(string file, string header, IEnumerable<string> rows) =>
            File.WriteAllLines(Path.Combine(directory.FullName, file), rows.Prepend(header), new UTF8Encoding(false));
    }

    /// <summary>
    /// COPYs a month of usage into <c>billing_events</c>, each event rated by the ingest worker's rater against the
    /// catalog in the database, as the worker would have stored it: per account and operator, <paramref name="messages"/>
    /// messages, each a <c>sms.submitted</c> event and its receipt (the first delivered, the others 92 % delivered, 5 %
    /// failed, 3 % expired), 1-3 segments, at random instants of the month. Returns the events written and how many are billable.
    /// </summary>
    public static async Task<(long Events, long Billable)> CopyUsageAsync(
        NpgsqlDataSource dataSource, InvoicePeriod period, int accounts, int messages, int seed, CancellationToken cancellationToken)
    {
        RatingCatalog catalog;
        var options = new DbContextOptionsBuilder<BillingDbContext>();
        BillingDbContext.Configure(options, dataSource);
        await using (var db = new BillingDbContext(options.Options))
        {
            catalog = await RatingCatalogLoader.LoadAsync(db, cancellationToken);
        }

        var random = new Random(seed);
        var now = DateTimeOffset.UtcNow;
        var monthSeconds = (int)(period.EndInstant - period.StartInstant).TotalSeconds;
        long events = 0, billable = 0, sequence = 0;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var importer = await connection.BeginBinaryImportAsync(
            $"COPY billing.billing_events ({EventStaging.Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            for (var n = 1; n <= accounts; n++)
            {
                var account = AccountId(n);
                foreach (var op in Operators)
                {
                    for (var m = 0; m < messages; m++)
                    {
                        // The last minutes of the month stay free, so that a receipt is never in the next month.
                        var submitted = period.StartInstant.AddSeconds(random.Next(monthSeconds - 600));
                        var messageId = Guid.NewGuid().ToString("N");
                        var segments = random.Next(1, 4);
                        // The first message is delivered, so every account has a billable event to every operator
                        // whatever its tier charges on (the enterprise tier pays per delivered segment).
                        var receipt = m == 0 ? SmsEventType.Delivered
                            : random.Next(100) switch { < 92 => SmsEventType.Delivered, < 97 => SmsEventType.Failed, _ => SmsEventType.Expired };
                        foreach (var (type, at) in new[] { (SmsEventType.Submitted, submitted), (receipt, submitted.AddSeconds(random.Next(1, 300))) })
                        {
                            var billingEvent = new BillingEvent(Guid.NewGuid(), type, at, account, messageId, op.MccMnc, op.Country, segments);
                            var rating = Rater.Rate(billingEvent, catalog);
                            if (!rating.IsRated)
                            {
                                throw new BenchmarkException($"{account} to {op.MccMnc} is not rated ({rating.UnratedReason}): import the generated reference data first");
                            }
                            await importer.StartRowAsync(cancellationToken);
                            await importer.WriteAsync(billingEvent.EventId, NpgsqlDbType.Uuid, cancellationToken);
                            await importer.WriteAsync(billingEvent.OccurredAt, NpgsqlDbType.TimestampTz, cancellationToken);
                            await importer.WriteAsync(type.ToWireName(), NpgsqlDbType.Text, cancellationToken);
                            await importer.WriteAsync(account, NpgsqlDbType.Text, cancellationToken);
                            await importer.WriteAsync(messageId, NpgsqlDbType.Text, cancellationToken);
                            await importer.WriteAsync(op.MccMnc, NpgsqlDbType.Text, cancellationToken);
                            await importer.WriteAsync(op.Country, NpgsqlDbType.Text, cancellationToken);
                            await importer.WriteAsync((short)segments, NpgsqlDbType.Smallint, cancellationToken);
                            await importer.WriteAsync(++sequence, NpgsqlDbType.Bigint, cancellationToken);
                            await importer.WriteAsync(at.AddMilliseconds(50), NpgsqlDbType.TimestampTz, cancellationToken);
                            await StoredRating.WriteAsync(importer, rating, now, cancellationToken);
                            events++;
                            billable += rating.Billable ? 1 : 0;
                        }
                    }
                }
            }
            await importer.CompleteAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        // As autovacuum would before a month-end run: statistics for the planner's GROUP BY.
        await using (var analyze = dataSource.CreateCommand("ANALYZE billing.billing_events"))
        {
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }
        return (events, billable);
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items, Func<T, int> weight)
    {
        var roll = random.Next(items.Sum(weight));
        foreach (var item in items)
        {
            roll -= weight(item);
            if (roll < 0)
            {
                return item;
            }
        }
        return items[^1];
    }

    private static string Decimal(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Csv(string text) => text.Contains(',', StringComparison.Ordinal) || text.Contains('"', StringComparison.Ordinal)
        ? $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\""
        : text;
}
