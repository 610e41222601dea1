@req_ML-QUANT-001
Feature: A model is made smaller for the vehicle only within its accuracy budget
  As a safety auditor
  I want every reduction of a model's numeric precision to be justified layer by layer and verified on the runtime the vehicle uses
  So that no accuracy is lost where nobody looks

  Background:
    Given the trained digit classifier of the emergency braking example
    And its calibration and held-out data

  @asil_C
  Scenario: A sensitive layer stays in higher precision and the plan says why
    Given a classifier in which two layers cannot take 8-bit arithmetic
    When the classifier is optimized with an accuracy budget of 0.5 points
    Then at least one layer is kept in higher precision
    And the plan gives, for every layer kept in higher precision, the accuracy it would cost in 8-bit arithmetic
    And every other layer runs in 8-bit arithmetic

  @asil_C
  Scenario: The accuracy budget is respected
    Given a classifier in which two layers cannot take 8-bit arithmetic
    When the classifier is optimized with an accuracy budget of 0.5 points
    Then the optimized classifier loses no more than 0.5 points of accuracy on the vehicle runtime
    And the chosen candidate lies on the accuracy, size and latency frontier

  @asil_C @req_ML-VER-001
  Scenario: The verification report records the accuracy on the vehicle runtime
    Given a classifier in which two layers cannot take 8-bit arithmetic
    When the classifier is optimized with an accuracy budget of 0.5 points
    And the optimized classifier is verified against its full-precision reference
    Then the verification report records the accuracy measured on the vehicle runtime
    And the verification report records latency at batch sizes 1 and 64 and the model size by part

  @asil_B
  Scenario: An operator the vehicle runtime cannot run stops the export with its name
    Given a vehicle runtime that can only run "Gemm" and "Relu" operations
    When the classifier is optimized for that runtime
    Then the optimization is refused naming the operator "Conv"
    And nothing is registered

  @asil_B
  Scenario: A corrupt checkpoint is refused with a clear error
    Given a checkpoint file that was cut short in transfer
    When the classifier is optimized from that checkpoint
    Then the optimization is refused saying the checkpoint is corrupt
    And nothing is registered

  @asil_B
  Scenario: A checkpoint that would run a program when opened is refused unopened
    Given a checkpoint file crafted to run a program when it is opened
    When the classifier is optimized from that checkpoint
    Then the optimization is refused naming the call "exec" the file would make
    And the crafted program never ran
    And nothing is registered

  @asil_B
  Scenario: Calibration data of the wrong shape is refused with a clear error
    Given calibration data whose images are 28 by 28 pixels instead of 32 by 32
    When the classifier is optimized with that calibration data
    Then the optimization is refused naming the shape "(1, 28, 28)"
    And nothing is registered
