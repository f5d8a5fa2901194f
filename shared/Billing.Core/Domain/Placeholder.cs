namespace Billing.Core.Domain;

internal static class Placeholder;
