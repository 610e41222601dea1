@req_SG-TRACE-01
Feature: A model version is released only with a complete safety trace
  As a safety auditor
  I want every safety requirement a model version realises to be traced, verified and reviewed
  So that no model reaches a vehicle with an unverified safety claim

  Background:
    Given the requirement set of the emergency braking perception function
    And the model version "aeb-perception@1.0.0" is registered
    And every machine learning requirement is implemented by "aeb-perception@1.0.0"

  @asil_C
  Scenario: A complete trace lets the model version through the release gate
    Given every requirement is verified by a passing test
    And every requirement's trace was reviewed
    And every ASIL D requirement's trace was reviewed by an independent reviewer
    And every ASIL D requirement was also verified by simulation
    When the release gate is evaluated for "aeb-perception@1.0.0"
    Then the release gate lets "aeb-perception@1.0.0" through
    And the decision is recorded in the tamper-evident audit log

  @asil_D
  Scenario: An ASIL D requirement without an independent review blocks the release
    Given every requirement is verified by a passing test
    And every requirement's trace was reviewed
    And every ASIL D requirement was also verified by simulation
    When the release gate is evaluated for "aeb-perception@1.0.0"
    Then the release gate blocks "aeb-perception@1.0.0"
    And the blocking gaps name every ASIL D requirement as lacking an independent review
    And the decision is recorded in the tamper-evident audit log

  @asil_C @http
  Scenario: A tool integration is told which gaps block the release
    Given every requirement is verified by a passing test
    When a tool asks for the trace of "aeb-perception@1.0.0"
    Then the tool is told the release is refused because of trace gaps
    And the answer lists each gap with its requirement and ASIL
