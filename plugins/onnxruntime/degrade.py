"""A deliberately degraded copy of a classifier, for showing that a roll-out rolls back.

The copy keeps the original graph and adds one branch: for frames brighter than a threshold
(mean pixel value), the logits are divided by a large temperature, so the class ranking is
unchanged (accuracy and top-1 agreement stay identical, which is why offline verification
passes) but the top-class probability collapses towards uniform on that part of the inputs.
That is the kind of regression only field health catches: the edge agents count the affected
rows as low-confidence results (the safety proxy) and the controller's rate test fails.
"""

from __future__ import annotations

from pathlib import Path


def add_low_confidence_branch(source: Path, target: Path, *, brightness_threshold: float,
                              temperature: float = 1_000.0) -> Path:
    """Write ``source`` with logits flattened on bright frames to ``target``.

    Args:
        source: an ONNX classifier with one input (N, ...) and logits as its first output.
        target: where the degraded model is written.
        brightness_threshold: frames whose mean input value exceeds this are degraded.
        temperature: divisor of the degraded frames' logits (> 1 flattens the softmax).

    Returns:
        ``target``.

    Raises:
        ValueError: the model has no input or output, or ``temperature`` is not above 1.
    """
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    if temperature <= 1.0:
        raise ValueError(f"temperature {temperature} must exceed 1 to degrade confidence")
    model = onnx.load(str(source))
    graph = model.graph
    if not graph.input or not graph.output:
        raise ValueError(f"{source} has no input or no output to degrade")
    x = graph.input[0].name
    logits = graph.output[0].name
    rank = len(graph.input[0].type.tensor_type.shape.dim)
    raw = f"{logits}__undegraded"
    for node in graph.node:
        node.output[:] = [raw if o == logits else o for o in node.output]
        node.input[:] = [raw if i == logits else i for i in node.input]
    graph.initializer.extend([
        numpy_helper.from_array(np.array(brightness_threshold, dtype=np.float32),
                                "degrade__threshold"),
        numpy_helper.from_array(np.array(temperature, dtype=np.float32), "degrade__hot"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "degrade__one"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "degrade__axis1")])
    graph.node.extend([
        helper.make_node("ReduceMean", [x], ["degrade__mean"], axes=list(range(1, rank)),
                         keepdims=0),
        helper.make_node("Greater", ["degrade__mean", "degrade__threshold"],
                         ["degrade__bright"]),
        helper.make_node("Where", ["degrade__bright", "degrade__hot", "degrade__one"],
                         ["degrade__scale"]),
        helper.make_node("Unsqueeze", ["degrade__scale", "degrade__axis1"],
                         ["degrade__scale2d"]),
        helper.make_node("Div", [raw, "degrade__scale2d"], [logits]),
    ])
    onnx.checker.check_model(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(target))
    return target
