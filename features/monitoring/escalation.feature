@req_SR_MON_002
Feature: Drift is escalated only when it persists
  As a safety auditor
  I want a drift alarm to escalate only after several drifting windows in a row
  So that a single unusual window never triggers a warning, while real drift is never ignored

  Background:
    Given the deployment "aeb-perception@1.2.0" is monitored against its reference field data

  @asil_C
  Scenario: Field data like the reference stays normal
    When 5 windows of field data like the reference are checked
    Then every verdict has severity "normal"

  @asil_C
  Scenario: Persistent drift climbs through watch, warning and critical
    When 6 windows of field data with the "yaw_rate" signal shifted are checked
    Then the severities in order are "watch, watch, warning, warning, warning, critical"
    And each verdict states how many drifting windows in a row it has seen

  @asil_C
  Scenario: One drifting window between normal windows only raises watch
    When 2 windows of field data with the "yaw_rate" signal shifted are checked
    And 1 window of field data like the reference is checked
    And 2 windows of field data with the "yaw_rate" signal shifted are checked
    Then no verdict is above "watch"
    And the last verdict has seen 2 drifting windows in a row

  @asil_C
  Scenario: The number of windows needed before a warning is configurable
    Given escalation past watch needs 5 drifting windows in a row
    When 5 windows of field data with the "yaw_rate" signal shifted are checked
    Then the severities in order are "watch, watch, watch, watch, warning"
