# D16: prod's own state object, locked with its DynamoDB table. The bucket and the lock table live in
# the prod account and must exist before init:
#   terraform -chdir=terraform/stack init -reconfigure -backend-config=../environments/prod/backend.hcl
bucket         = "bbws-terraform-state-prod"
key            = "2_1_bbws_dynamodb_schemas/terraform.tfstate"
region         = "af-south-1"
dynamodb_table = "terraform-state-lock-prod"
encrypt        = true
