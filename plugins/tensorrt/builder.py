"""Building a TensorRT engine from ONNX at FP32, FP16 or INT8, with calibration and timing caches.

The INT8 path uses entropy calibration over the caller's calibration batches, and keeps the
calibration cache beside the engine so that a rebuild (another GPU of the same kind, a new
TensorRT patch release) reuses the ranges instead of recalibrating. The timing cache does the
same for kernel auto-tuning, which dominates build time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from edgedeploy.application.errors import BackendUnavailable, CapabilityNotSupported, InvalidInput
from edgedeploy.plugins.tensorrt.cuda import require_tensorrt_runtime

if TYPE_CHECKING:
    import tensorrt as trt

_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class EngineBuildOptions:
    """How to build one engine.

    Attributes:
        precision: ``fp32``, ``fp16`` or ``int8`` (INT8 also enables FP16 for layers TensorRT
            keeps out of INT8).
        min_shape, opt_shape, max_shape: the optimization profile of the (single) input.
        workspace_bytes: memory TensorRT may use for tactics.
        timing_cache: file to read and update with tactic timings.
        calibration_cache: file to read INT8 ranges from, or to write them to after calibrating.
    """

    precision: str
    min_shape: tuple[int, ...]
    opt_shape: tuple[int, ...]
    max_shape: tuple[int, ...]
    workspace_bytes: int = 1 << 30
    timing_cache: Path | None = None
    calibration_cache: Path | None = None

    def __post_init__(self) -> None:
        if self.precision not in {"fp32", "fp16", "int8"}:
            raise CapabilityNotSupported(
                f"TensorRT builds fp32, fp16 or int8 engines, not '{self.precision}'")


def _make_calibrator(trt_module: Any, batches: Sequence[Any], cache: Path | None) -> Any:
    """An ``IInt8EntropyCalibrator2`` feeding ``batches`` (contiguous float32 arrays)."""
    import tensorrt as trt

    from edgedeploy.plugins.tensorrt.cuda import open_cuda

    # Without tensorrt-stubs on the path the base is Any; with them it is the real class.
    class EntropyCalibrator(trt.IInt8EntropyCalibrator2):  # type: ignore[misc, unused-ignore]
        def __init__(self) -> None:
            trt.IInt8EntropyCalibrator2.__init__(self)
            self._cuda = open_cuda()
            self._batches: Iterator[Any] = iter(batches)
            self._batch_size = int(batches[0].shape[0]) if batches else 1
            self._address = self._cuda.alloc(max(int(b.nbytes) for b in batches)
                                             if batches else 4)

        def get_batch_size(self) -> int:
            return self._batch_size

        def get_batch(self, names: list[str]) -> list[int]:
            batch = next(self._batches, None)
            if batch is None:
                return []  # TensorRT reads an empty list as "calibration data exhausted"
            self._cuda.to_device(self._address, batch)
            self._cuda.synchronize()
            return [self._address] * len(names)

        def read_calibration_cache(self) -> bytes:
            if cache is not None and cache.is_file():
                return cache.read_bytes()
            return b""  # an empty cache makes TensorRT calibrate

        def write_calibration_cache(self, data: Any) -> None:
            if cache is not None:
                cache.write_bytes(bytes(data))

    del trt_module  # the class above binds the module it was type-checked against
    return EntropyCalibrator()


def build_engine(onnx_path: Path, engine_path: Path, options: EngineBuildOptions,
                 calibration_batches: Sequence[Any] = ()) -> Path:
    """Parse ``onnx_path``, build an engine and serialize it to ``engine_path``.

    Raises:
        BackendUnavailable: TensorRT is missing or the build failed on this GPU.
        InvalidInput: the ONNX file does not parse (the parser's errors are named).
        CapabilityNotSupported: INT8 was asked for without calibration data or cache, or the
            GPU lacks fast FP16/INT8.
    """
    try:
        import tensorrt as trt
        require_tensorrt_runtime(trt)
    except ImportError as exc:
        raise BackendUnavailable(f"tensorrt not installed ({exc})") from exc
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(0)  # TensorRT 10: explicit batch is the only mode
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx_path.read_bytes()):
        errors = [str(parser.get_error(i)) for i in range(parser.num_errors)]
        raise InvalidInput(f"TensorRT cannot parse {onnx_path}: {'; '.join(errors)}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, options.workspace_bytes)
    profile = builder.create_optimization_profile()
    first = network.get_input(0)
    profile.set_shape(first.name, trt.Dims(list(options.min_shape)),
                      trt.Dims(list(options.opt_shape)), trt.Dims(list(options.max_shape)))
    config.add_optimization_profile(profile)
    _configure_precision(trt, builder, config, options, calibration_batches)
    cache = _load_timing_cache(config, options.timing_cache)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise BackendUnavailable(f"TensorRT failed to build an engine from {onnx_path}")
    engine_path.write_bytes(bytes(memoryview(serialized)))
    if options.timing_cache is not None:
        options.timing_cache.write_bytes(bytes(memoryview(cache.serialize())))
    _log.info("tensorrt.engine_built", onnx=str(onnx_path), engine=str(engine_path),
              precision=options.precision)
    return engine_path


def _configure_precision(trt_module: Any, builder: trt.Builder, config: trt.IBuilderConfig,
                         options: EngineBuildOptions, batches: Sequence[Any]) -> None:
    import tensorrt as trt

    if options.precision in {"fp16", "int8"}:
        if not builder.platform_has_fast_fp16:
            raise CapabilityNotSupported("this GPU has no fast FP16")
        config.set_flag(trt.BuilderFlag.FP16)
    if options.precision == "int8":
        if not builder.platform_has_fast_int8:
            raise CapabilityNotSupported("this GPU has no fast INT8")
        cached = options.calibration_cache is not None and options.calibration_cache.is_file()
        if not batches and not cached:
            raise CapabilityNotSupported(
                "an INT8 engine needs calibration batches or a calibration cache")
        config.set_flag(trt.BuilderFlag.INT8)
        config.int8_calibrator = _make_calibrator(trt_module, batches,
                                                  options.calibration_cache)


def _load_timing_cache(config: trt.IBuilderConfig, path: Path | None) -> trt.ITimingCache:
    data = path.read_bytes() if path is not None and path.is_file() else b""
    cache = config.create_timing_cache(data)
    config.set_timing_cache(cache, ignore_mismatch=False)
    return cache
