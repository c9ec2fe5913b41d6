variable "monitoring" {
  description = "The environment's alarms, dashboard and cost anomaly alert: `monitoring` in contract.auto.tfvars.json, rendered by readiness/contract/tfvars.py from contracts/monitoring.yaml and contracts/environments/<env>.yaml (ADR 0019, 0020)."
  type = object({
    topics = object({
      devops = string
      finops = string
    })
    alarms = list(object({
      name                = string
      description         = optional(string)
      comparison_operator = string
      threshold           = number
      evaluation_periods  = number
      treat_missing_data  = optional(string, "notBreaching")
      topic               = string
      namespace           = optional(string)
      metric_name         = optional(string)
      dimensions          = optional(map(string))
      statistic           = optional(string)
      period              = optional(number)
      metric_queries = optional(list(object({
        id          = string
        expression  = optional(string)
        label       = optional(string)
        return_data = optional(bool, false)
        metric = optional(object({
          namespace   = string
          metric_name = string
          dimensions  = optional(map(string))
          period      = number
          stat        = string
        }))
      })), [])
    }))
    dashboard = object({
      name = string
      body = string
    })
    cost_anomaly = object({
      monitor           = string
      monitor_type      = optional(string, "DIMENSIONAL")
      monitor_dimension = optional(string, "SERVICE")
      frequency         = optional(string, "IMMEDIATE")
      threshold_percent = number
      topic             = string
    })
  })

  validation {
    condition = alltrue([for a in var.monitoring.alarms : contains([
      "GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"
    ], a.comparison_operator)])
    error_message = "Every alarm's comparison_operator must be one of GreaterThanThreshold, GreaterThanOrEqualToThreshold, LessThanThreshold, LessThanOrEqualToThreshold."
  }

  validation {
    condition     = alltrue([for a in var.monitoring.alarms : contains(["breaching", "notBreaching", "ignore", "missing"], a.treat_missing_data)])
    error_message = "Every alarm's treat_missing_data must be one of breaching, notBreaching, ignore, missing."
  }

  validation {
    condition     = alltrue([for a in var.monitoring.alarms : contains([var.monitoring.topics.devops, var.monitoring.topics.finops], a.topic)])
    error_message = "Every alarm's topic must be one of the two topics (monitoring.topics.devops or monitoring.topics.finops)."
  }

  validation {
    condition = alltrue([for a in var.monitoring.alarms : (
      length(a.metric_queries) == 0
      ? a.metric_name != null && a.namespace != null && a.period != null && contains(["SampleCount", "Average", "Sum", "Minimum", "Maximum"], coalesce(a.statistic, "none"))
      : a.metric_name == null && a.namespace == null && a.statistic == null && a.period == null && a.dimensions == null
    )])
    error_message = "An alarm either watches one metric (namespace, metric_name, period and statistic: SampleCount, Average, Sum, Minimum or Maximum) or a metric-math expression (metric_queries, and none of those)."
  }

  validation {
    condition = alltrue([for a in var.monitoring.alarms : length(a.metric_queries) == 0 || (
      length([for q in a.metric_queries : q if q.return_data]) == 1
      && length([for q in a.metric_queries : q if q.metric != null]) <= 10
      && alltrue([for q in a.metric_queries : (q.expression == null) != (q.metric == null)])
    )])
    error_message = "A metric-math alarm needs exactly one query with return_data = true, at most 10 metrics (CloudWatch's hard limit), and each query either an expression or a metric."
  }

  validation {
    condition     = length(distinct([for a in var.monitoring.alarms : a.name])) == length(var.monitoring.alarms)
    error_message = "Alarm names must be unique."
  }

  validation {
    condition     = can(jsondecode(var.monitoring.dashboard.body).widgets)
    error_message = "monitoring.dashboard.body must be a CloudWatch dashboard body: a JSON object with widgets."
  }

  validation {
    condition     = var.monitoring.cost_anomaly.monitor_type == "DIMENSIONAL" && var.monitoring.cost_anomaly.monitor_dimension == "SERVICE"
    error_message = "monitoring.cost_anomaly watches AWS services: monitor_type DIMENSIONAL with monitor_dimension SERVICE (allowed values)."
  }

  validation {
    condition     = contains(["DAILY", "IMMEDIATE", "WEEKLY"], var.monitoring.cost_anomaly.frequency)
    error_message = "monitoring.cost_anomaly.frequency must be one of DAILY, IMMEDIATE, WEEKLY (IMMEDIATE requires an SNS subscriber)."
  }

  validation {
    condition     = var.monitoring.cost_anomaly.threshold_percent > 0
    error_message = "monitoring.cost_anomaly.threshold_percent must be > 0 (ADR 0020: 20)."
  }

  validation {
    condition     = contains([var.monitoring.topics.devops, var.monitoring.topics.finops], var.monitoring.cost_anomaly.topic)
    error_message = "monitoring.cost_anomaly.topic must be one of the two topics (monitoring.topics.devops or monitoring.topics.finops)."
  }
}

variable "tags" {
  description = "The contract's tags (D15) for the topics, their key, the alarms and the cost monitor."
  type        = map(string)
  default     = {}
}
