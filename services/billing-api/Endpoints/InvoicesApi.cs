using System.ComponentModel;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Billing.Api.Contracts;
using Billing.Api.Http;
using Billing.Core.Data;
using Billing.Core.Data.Entities;
using Billing.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Billing.Api.Endpoints;

/// <summary>An account's invoices (cursor pagination), one invoice with its lines, and its PDF.</summary>
public static class InvoicesApi
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public static RouteGroupBuilder MapInvoicesApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/accounts/{accountId}/invoices", ListInvoicesAsync)
            .WithName("ListInvoices")
            .ProducesValidationProblem()
            .WithTags("Invoices")
            .WithSummary("An account's invoices, newest first, a page at a time")
            .WithDescription("""
                Pages follow the invoice numbers downwards: pass nextCursor as cursor for the next page, until it is null.
                A page is stable under new invoices (they come before the first page). An account without invoices
                (including one billing does not know) gets an empty list.
                """);
        v1.MapGet("/invoices/{invoiceId}", GetInvoiceAsync)
            .WithName("GetInvoice")
            .ProducesValidationProblem()
            .WithTags("Invoices")
            .WithSummary("One invoice with its lines")
            .WithDescription("""
                An issued invoice never changes, so the response carries a strong ETag: send it back as If-None-Match and
                an unchanged invoice is answered 304 without a body. (The ETag changes once, when an issued invoice's PDF
                is stored and its status becomes stored.)
                """)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .Produces(StatusCodes.Status304NotModified);
        v1.MapGet("/invoices/{invoiceId}/pdf", GetInvoicePdfAsync)
            .WithName("GetInvoicePdf")
            .ProducesValidationProblem()
            .WithTags("Invoices")
            .WithSummary("The invoice's PDF: a redirect to a short-lived download URL")
            .WithDescription("""
                302 to a presigned S3 URL that downloads the PDF with a plain GET (no Authorization header) for a few
                minutes (S3__PresignExpiry, default 5). Its SHA-256 is the invoice's pdfSha256. 404 while the invoice's
                PDF is not stored yet.
                """)
            .Produces(StatusCodes.Status302Found)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return v1;
    }

    private static async Task<Results<Ok<InvoicePage>, ValidationProblem>> ListInvoicesAsync(
        [Description("The account id (as billing-ops import accounts accepts it)."), ApiParameter(Pattern = ApiPatterns.AccountId, MaxLength = 64)]
        string accountId,
        [Description("Invoices per page."), ApiParameter(Integer = true, Minimum = "1", Maximum = "100", Default = "20")] string? limit,
        [Description("nextCursor of the previous page; absent for the first page."), ApiParameter(Pattern = ApiPatterns.Cursor, MaxLength = 64)]
        string? cursor,
        IDbContextFactory<BillingDbContext> contexts,
        CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var account = errors.AccountId(nameof(accountId), accountId);
        var pageSize = errors.Integer(nameof(limit), limit, DefaultLimit, 1, MaxLimit);
        var after = string.IsNullOrEmpty(cursor) ? null : DecodeCursor(cursor);
        if (!string.IsNullOrEmpty(cursor) && after is null)
        {
            errors.Add(nameof(cursor), $"cursor {RequestErrors.Quote(cursor)} is not a cursor this API returned (pass nextCursor as it came)");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.Invoices.AsNoTracking().Where(i => i.AccountId == account);
        if (after is not null)
        {
            query = query.Where(i => string.Compare(i.Number, after) < 0);
        }
        var rows = await query.OrderByDescending(i => i.Number).Take(pageSize!.Value + 1).ToListAsync(cancellationToken);
        var hasMore = rows.Count > pageSize;
        var items = rows.Take(pageSize.Value).Select(i => Summary(i)).ToList();
        return TypedResults.Ok(new InvoicePage(items, hasMore ? EncodeCursor(items[^1].Number) : null));
    }

    private static async Task<Results<Ok<InvoiceWithLines>, ValidationProblem, ProblemHttpResult, StatusCodeHttpResult>> GetInvoiceAsync(
        [Description("The invoice's id."), ApiParameter(Format = "uuid")] string invoiceId,
        HttpContext http,
        IDbContextFactory<BillingDbContext> contexts,
        IOptions<JsonOptions> json,
        CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var id = errors.Uuid(nameof(invoiceId), invoiceId);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var invoice = await db.Invoices.AsNoTracking().Include(i => i.Lines).SingleOrDefaultAsync(i => i.Id == id, cancellationToken);
        if (invoice is null)
        {
            return NotFound(id!.Value);
        }
        var body = WithLines(invoice);
        var etag = StrongETag(body, json.Value.SerializerOptions);
        http.Response.Headers[HeaderNames.ETag] = etag;
        http.Response.Headers[HeaderNames.CacheControl] = "private, no-cache";
        if (IfNoneMatchMatches(http.Request.Headers.IfNoneMatch, etag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        return TypedResults.Ok(body);
    }

    private static async Task<Results<RedirectHttpResult, ValidationProblem, ProblemHttpResult>> GetInvoicePdfAsync(
        [Description("The invoice's id."), ApiParameter(Format = "uuid")] string invoiceId,
        HttpContext http,
        IDbContextFactory<BillingDbContext> contexts,
        InvoicePdfLinks links,
        CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var id = errors.Uuid(nameof(invoiceId), invoiceId);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var pdf = await db.Invoices.AsNoTracking().Where(i => i.Id == id)
            .Select(i => new { i.Number, i.Status, i.PdfBucket, i.PdfKey })
            .SingleOrDefaultAsync(cancellationToken);
        if (pdf is null)
        {
            return NotFound(id!.Value);
        }
        if (pdf.Status != "stored" || pdf.PdfBucket is null || pdf.PdfKey is null)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "The invoice's PDF is not stored yet.",
                detail: $"Invoice {pdf.Number} is issued; its PDF is being stored by the invoice run. Try again later.");
        }
        var url = await links.PresignAsync(pdf.PdfBucket, pdf.PdfKey);
        // The URL is a bearer credential for a few minutes: nobody in between may keep it.
        http.Response.Headers[HeaderNames.CacheControl] = "no-store";
        return TypedResults.Redirect(url.AbsoluteUri);
    }

    private static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such invoice.", detail: $"There is no invoice {id}.");

    internal static InvoiceSummary Summary(Invoice i) => new()
    {
        Id = i.Id,
        Number = i.Number,
        AccountId = i.AccountId,
        Currency = i.Currency,
        PeriodStart = i.PeriodStart,
        PeriodEnd = i.PeriodEnd,
        UsageRecordedFrom = i.UsageRecordedFrom,
        IssuedAt = i.IssuedAt,
        DueDate = i.DueDate,
        TaxRate = ApiAmount.Fraction(i.TaxRate),
        Subtotal = ApiAmount.Format(i.Subtotal, i.Currency),
        Tax = ApiAmount.Format(i.Tax, i.Currency),
        Total = ApiAmount.Format(i.Total, i.Currency),
        Status = i.Status,
        PdfSha256 = i.Status == "stored" ? i.PdfSha256?.Trim() : null,
    };

    private static InvoiceWithLines WithLines(Invoice i) => new(Summary(i), [.. i.Lines.OrderBy(l => l.LineNo).Select(l =>
        new InvoiceLineResponse(l.LineNo, l.Kind, l.Operator, l.Description, l.Quantity,
            ApiAmount.Format(l.UnitPrice, i.Currency), ApiAmount.Format(l.Amount, i.Currency), l.AdjustedPeriodStart))]);

    /// <summary>
    /// A strong ETag is a promise that equal tags mean byte-identical bodies, so it is the SHA-256 of exactly the bytes
    /// the response carries (serialized with the same options): whatever changes the body changes the tag.
    /// </summary>
    private static string StrongETag(InvoiceWithLines body, JsonSerializerOptions options)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, options.GetTypeInfo(typeof(InvoiceWithLines)));
        return $"\"{Convert.ToBase64String(SHA256.HashData(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_')}\"";
    }

    /// <summary>RFC 9110 section 13.1.2: <c>*</c>, or any listed tag equal to ours under the weak comparison.</summary>
    internal static bool IfNoneMatchMatches(Microsoft.Extensions.Primitives.StringValues headers, string etag)
    {
        foreach (var header in headers)
        {
            foreach (var part in (header ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var tag = part.StartsWith("W/", StringComparison.Ordinal) ? part[2..] : part;
                if (tag == "*" || string.Equals(tag, etag, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>Cursors are the last number of the page, base64url-encoded: opaque to clients, checked on the way back.</summary>
    internal static string EncodeCursor(string number) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes(number)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal static string? DecodeCursor(string cursor)
    {
        if (cursor.Length > 64 || !ApiPatterns.CursorRegex().IsMatch(cursor))
        {
            return null;
        }
        var base64 = cursor.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
        try
        {
            var number = Encoding.ASCII.GetString(Convert.FromBase64String(base64));
            return ApiPatterns.InvoiceNumberRegex().IsMatch(number) ? number : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>Presigned download URLs for stored invoice PDFs, in the bucket each invoice row names.</summary>
public sealed class InvoicePdfLinks(Amazon.S3.IAmazonS3 s3, IOptions<S3Options> options, TimeProvider time)
{
    private readonly InvoiceObjectStore _configured = new(s3, options.Value, time);

    public Task<Uri> PresignAsync(string bucket, string key)
    {
        if (string.Equals(bucket, options.Value.Bucket, StringComparison.Ordinal))
        {
            return _configured.PresignGetUrlAsync(key);
        }
        // An invoice stored before the bucket setting changed stays where it was stored.
        var elsewhere = new S3Options
        {
            ServiceUrl = options.Value.ServiceUrl,
            Bucket = bucket,
            KmsKeyId = options.Value.KmsKeyId,
            ForcePathStyle = options.Value.ForcePathStyle,
            Region = options.Value.Region,
            PresignExpiry = options.Value.PresignExpiry,
            RetentionDays = options.Value.RetentionDays,
        };
        return new InvoiceObjectStore(s3, elsewhere, time).PresignGetUrlAsync(key);
    }
}
