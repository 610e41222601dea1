@req_SG-TRACE-02
Feature: The impact of a changed requirement is known before release
  As a safety auditor
  I want a changed safety requirement to show everything it affects
  So that no test, model or deployment silently relies on an outdated requirement

  Background:
    Given the requirement set of the emergency braking perception function
    And the model version "aeb-perception@1.0.0" is registered
    And every machine learning requirement is implemented by "aeb-perception@1.0.0"
    And every requirement is verified by a passing test
    And "aeb-perception@1.0.0" is deployed as "fleet-eu-canary"

  @asil_C
  Scenario: A changed requirement lists every affected test, model and deployment
    When the system requirement "SYS-AEB-001" is changed
    Then the impact of "SYS-AEB-001" lists every requirement derived from it
    And the impact lists every test verifying those requirements
    And the impact lists the model version "aeb-perception@1.0.0"
    And the impact lists the deployment "fleet-eu-canary"

  @asil_C
  Scenario: Links below a changed requirement stay suspect until reviewed again
    Given every requirement's trace was reviewed
    When the system requirement "SYS-AEB-001" is changed
    Then the links below "SYS-AEB-001" are suspect
    And the release gate blocks "aeb-perception@1.0.0" naming the suspect links

  @asil_C
  Scenario: A backward trace from a deployment reaches its system requirements
    When the trace is followed backward from the deployment "fleet-eu-canary"
    Then it reaches the model version "aeb-perception@1.0.0"
    And it reaches every system requirement the model version serves
