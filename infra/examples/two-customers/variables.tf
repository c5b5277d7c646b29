variable "region" {
  description = "AWS region of both pipelines."
  type        = string
  default     = "eu-west-2"
}

variable "lambda_zip" {
  description = "The Lambda package. Default: target/lambda/wharf-lambda.zip of this repository, as `make lambda` builds it."
  type        = string
  default     = null
}

variable "lambda_architecture" {
  description = "x86_64 or arm64, as the zip was built."
  type        = string
  default     = "x86_64"
}

variable "acme_garden_runner_principals" {
  description = "Principals allowed to assume Acme Garden's runner role: the role or user its Sage host signs in as."
  type        = list(string)
}

variable "brightlight_runner_principals" {
  description = "Principals allowed to assume Brightlight's runner role: the role or user its Sage host signs in as."
  type        = list(string)
}
