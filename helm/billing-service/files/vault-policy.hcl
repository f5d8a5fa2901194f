# Vault policy for the billing service (SPEC section 10: "billing-service reads secret/billing/*").
# Attach it to the Kubernetes auth role the deployables log in as (Vault__Role), e.g.
#   vault policy write billing-read helm/billing-service/files/vault-policy.hcl
#   vault write auth/kubernetes/role/billing bound_service_account_names=billing-service \
#       bound_service_account_namespaces=billing policies=billing-read ttl=1h
# KV version 2 serves a secret's values under <mount>/data/ and its versions and listing under <mount>/metadata/.

# Read secret/billing/common and secret/billing/<deployable> (all the service does).
path "secret/data/billing/*" {
  capabilities = ["read"]
}

# List the secrets and read their versions (vault kv list secret/billing, vault kv metadata get ...), which helps
# operators debug a pod's access; no value is readable through metadata.
path "secret/metadata/billing/*" {
  capabilities = ["list", "read"]
}
