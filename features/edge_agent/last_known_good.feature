@req_SR_EDGE_004 @req_SR_EDGE_009 @asil_c
Feature: The edge agent keeps its last-known-good model
  An edge agent installs a new model version only after verifying it (SHA-256 digest against
  the registry, input/output contract, golden-input smoke inference) and watches it on
  probation afterwards. A version that fails either check never keeps serving: the agent
  goes on with, or returns to, its last-known-good version, which survives a restart.

  Background:
    Given an edge agent serving "aeb@1.0" as its last-known-good version

  Scenario: A model whose bytes differ from the registry digest is never served
    When the agent is told to run "aeb@2.0" whose file was altered after registration
    Then the swap is reported "failed" because the digest "does not match"
    And every answer is produced by "aeb@1.0"

  Scenario: A model that fails its golden-input smoke inference is never served
    When the agent is told to run "aeb@2.0" whose golden output differs beyond tolerance
    Then the swap is reported "failed" because of the "golden case"
    And every answer is produced by "aeb@1.0"

  Scenario: A model that fails on probation is reverted and quarantined
    When the agent is told to run "aeb@2.0" which fails every third inference
    And the agent serves 10 inferences
    Then the agent serves "aeb@1.0" again
    And "aeb@2.0" is quarantined

  Scenario: The last-known-good version survives a restart of the agent
    When the agent is told to run "aeb@2.0" which is healthy
    And the agent serves 10 inferences
    And the agent restarts
    Then the agent serves "aeb@2.0" again
