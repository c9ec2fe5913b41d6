# D16: every environment keeps its own encrypted state object and lock table. The backend cannot read
# variables, so its settings come from the environment's file at init (Terraform's partial
# configuration): `init -reconfigure -backend-config=../environments/<env>/backend.hcl`.
terraform {
  backend "s3" {}
}
