# D16: sit's own state object, locked with its DynamoDB table. The bucket and the lock table live in
# the sit account and must exist before init:
#   terraform -chdir=terraform/stack init -reconfigure -backend-config=../environments/sit/backend.hcl
bucket         = "bbws-terraform-state-sit"
key            = "2_1_bbws_dynamodb_schemas/terraform.tfstate"
region         = "eu-west-1"
dynamodb_table = "terraform-state-lock-sit"
encrypt        = true
