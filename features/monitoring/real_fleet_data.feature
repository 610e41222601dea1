@req_SR_MON_005
Feature: Drift monitoring copes with the data real fleets send
  As a safety auditor
  I want the monitor to judge counts, stuck sensors and model outputs correctly
  So that clean field data never raises alarms and real problems are named where they are

  @asil_C
  Scenario: A clean stream of count data raises no alarm
    Given the deployment "aeb-counts@2.0.0" is monitored against count data
    When 100 windows of count data like the reference are checked
    Then no verdict is above "watch"
    And at most 2 windows count as drifting

  @asil_C
  Scenario: A stuck sensor is reported as a data-quality finding
    Given the deployment "aeb-counts@2.0.0" is monitored against count data
    When the "wheel_ticks" sensor sticks at one value for a whole window
    Then the verdict reports "wheel_ticks" as "stuck"
    And the finding carries its own severity "critical"

  @asil_C
  Scenario: A doubled class share in the model's outputs is detected and attributed
    Given the deployment "aeb-perception@1.2.0" is monitored against its softmax outputs
    When the share of the "cyclist" class doubles in a window of outputs
    Then the window counts as drifting
    And the verdict names "cyclist" as the most moved signal
