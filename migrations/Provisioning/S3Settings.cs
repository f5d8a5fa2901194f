using Billing.Core.Storage;
using Microsoft.Extensions.Configuration;

namespace Billing.Migrations.Provisioning;

/// <summary>
/// The <c>S3</c> configuration section bound onto <see cref="S3Options"/>, or why it cannot be used. The options are always
/// there (the defaults when the section does not bind) so that a report can still name the bucket.
/// </summary>
internal sealed record S3Settings(S3Options Options, string? Problem)
{
    public const string NotConfigured = "not configured: set S3__KmsKeyId (and S3__ServiceUrl for an S3-compatible server)";

    public static S3Settings From(IConfiguration configuration)
    {
        S3Options options;
        try
        {
            options = S3Options.Bind(configuration);
        }
        catch (InvalidOperationException e)
        {
            // The binder names the key: "Failed to convert configuration value at 'S3:RetentionDays' to type 'System.Int32'."
            return new(new S3Options(), $"bad S3 configuration: {e.Message}");
        }
        // The key is the one setting without a default: without it nothing about S3 has been configured.
        if (string.IsNullOrWhiteSpace(options.KmsKeyId))
        {
            return new(options, NotConfigured);
        }
        var problems = options.Validate();
        return new(options, problems.Count == 0 ? null : string.Join("; ", problems));
    }
}
