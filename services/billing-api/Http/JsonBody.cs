using System.Buffers;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Metadata;

namespace Billing.Api.Http;

/// <summary>
/// <c>200 OK</c> with <paramref name="Value"/> as JSON, as <c>TypedResults.Ok</c> writes it (<c>application/json;
/// charset=utf-8</c>, the same bytes), but serialized in one synchronous pass through the source generator's fast path
/// (<paramref name="TypeInfo"/>, from <see cref="Contracts.ApiJsonContext"/>) into the response's buffer, then flushed once.
/// </summary>
/// <remarks>
/// Why not <c>TypedResults.Ok</c> for a large body: it serializes with the app's JSON options, where System.Text.Json
/// does not take the generated fast path for these types (a profile of the usage route showed its metadata path), and
/// its asynchronous streaming serializer checks for a flush after every property. For a month of usage by day (620
/// operator entries, 92 KB) that took about 17 % of the API's CPU samples under the benchmark; this takes about 7 %. The
/// context's own settings are the app's (<see cref="ApiExtensions.ConfigureJson"/>; a test compares the bytes). The
/// whole body is in memory either way, in the response's pipe, until the flush.
/// </remarks>
public sealed record JsonBody<T>(T Value, JsonTypeInfo<T> TypeInfo)
    : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<T>, IEndpointMetadataProvider
{
    public const string ContentType = "application/json; charset=utf-8";

    public int StatusCode => StatusCodes.Status200OK;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    object? IValueHttpResult.Value => Value;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = ContentType;
        Write(response.BodyWriter, Value, TypeInfo);
        await response.BodyWriter.FlushAsync(httpContext.RequestAborted);
    }

    /// <summary>Writes <paramref name="value"/> into <paramref name="output"/> (not flushed), as the serializer's options say.</summary>
    public static void Write(IBufferWriter<byte> output, T value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var options = typeInfo.Options;
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions
        {
            Encoder = options.Encoder,
            Indented = options.WriteIndented,
            MaxDepth = options.MaxDepth,
            SkipValidation = true,
        });
        JsonSerializer.Serialize(writer, value, typeInfo);
    }

    /// <summary>For the OpenAPI document: a 200 with a JSON body of <typeparamref name="T"/>, as <c>Ok&lt;T&gt;</c> declares it.</summary>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(T), ["application/json"]));
    }
}
