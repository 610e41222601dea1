@req_SR_MON_003
Feature: Reviewers' findings adjust how much each drift test counts
  As a safety auditor
  I want confirmed drift to strengthen the tests that saw it and false alarms to weaken them
  So that the monitor learns from review while no test is ever silenced

  Background:
    Given the deployment "aeb-perception@1.2.0" is monitored against its reference field data
    And 1 window of field data with the "speed" signal shifted is checked

  @asil_C
  Scenario: A confirmed drift strengthens the tests that raised it
    When a reviewer confirms the drift
    Then every test that raised the alarm counts more than before
    And the tests that stayed silent count as before
    And the finding is kept with the weights before and after

  @asil_C
  Scenario: A false alarm weakens the tests that raised it
    When a reviewer marks the alarm as false
    Then every test that raised the alarm counts less than before
    And the next verdict uses the weakened weights

  @asil_C
  Scenario: A verdict takes only one finding
    Given a reviewer confirms the drift
    When a reviewer marks the alarm as false
    Then the finding is refused as a duplicate
    And the weights are as after the first finding

  @asil_C
  Scenario: Repeated false alarms never silence a test
    When a reviewer marks 30 alarms from the same tests as false
    Then every test still counts at least its floor weight
