"""The little CUDA the TensorRT backend needs, through cuda-python or else pycuda.

Both bindings are optional; :func:`open_cuda` picks the first that imports and reports which.
"""

from __future__ import annotations

from typing import Any, Protocol

from edgedeploy.application.errors import BackendUnavailable


class CudaMemory(Protocol):
    """Device buffers, copies and one stream: what running an engine takes."""

    binding: str

    def alloc(self, nbytes: int) -> int:
        """Allocate device memory; returns its address."""
        ...

    def free(self, address: int) -> None:
        """Release device memory."""
        ...

    def to_device(self, address: int, host: Any) -> None:
        """Copy a contiguous host array to the device (on the stream)."""
        ...

    def to_host(self, host: Any, address: int) -> None:
        """Copy device memory into a contiguous host array (on the stream)."""
        ...

    def stream(self) -> int:
        """The stream handle TensorRT enqueues on."""
        ...

    def synchronize(self) -> None:
        """Wait for the stream."""
        ...


def require_tensorrt_runtime(module: Any) -> None:
    """Refuse a ``tensorrt`` that is only type stubs (a namespace package without the library).

    Raises:
        ImportError: the library itself is absent.
    """
    if not hasattr(module, "Builder"):
        raise ImportError("tensorrt not installed (only its type stubs are)")


def tensorrt_available() -> bool:
    """True when the TensorRT library (not just its stubs) imports."""
    try:
        import tensorrt

        require_tensorrt_runtime(tensorrt)
    except ImportError:
        return False
    return True


def _check(result: Any) -> Any:
    """Unwrap cuda-python's ``(err, value)`` tuples, raising on a CUDA error."""
    err, *rest = result if isinstance(result, tuple) else (result,)
    if int(err) != 0:
        raise BackendUnavailable(f"CUDA call failed with error {int(err)}")
    return rest[0] if rest else None


class _CudaPython:
    binding = "cuda-python"

    def __init__(self, cudart: Any) -> None:
        self._rt = cudart
        self._stream = _check(cudart.cudaStreamCreate())

    def alloc(self, nbytes: int) -> int:
        return int(_check(self._rt.cudaMalloc(max(nbytes, 1))))

    def free(self, address: int) -> None:
        _check(self._rt.cudaFree(address))

    def to_device(self, address: int, host: Any) -> None:
        kind = self._rt.cudaMemcpyKind.cudaMemcpyHostToDevice
        _check(self._rt.cudaMemcpyAsync(address, host.ctypes.data, host.nbytes, kind,
                                        self._stream))

    def to_host(self, host: Any, address: int) -> None:
        kind = self._rt.cudaMemcpyKind.cudaMemcpyDeviceToHost
        _check(self._rt.cudaMemcpyAsync(host.ctypes.data, address, host.nbytes, kind,
                                        self._stream))

    def stream(self) -> int:
        return int(self._stream)

    def synchronize(self) -> None:
        _check(self._rt.cudaStreamSynchronize(self._stream))


class _PyCuda:
    binding = "pycuda"

    def __init__(self, driver: Any) -> None:
        self._drv = driver
        self._stream = driver.Stream()
        self._allocations: dict[int, Any] = {}

    def alloc(self, nbytes: int) -> int:
        allocation = self._drv.mem_alloc(max(nbytes, 1))
        self._allocations[int(allocation)] = allocation
        return int(allocation)

    def free(self, address: int) -> None:
        self._allocations.pop(address).free()

    def to_device(self, address: int, host: Any) -> None:
        self._drv.memcpy_htod_async(address, host, self._stream)

    def to_host(self, host: Any, address: int) -> None:
        self._drv.memcpy_dtoh_async(host, address, self._stream)

    def stream(self) -> int:
        return int(self._stream.handle)

    def synchronize(self) -> None:
        self._stream.synchronize()


def open_cuda() -> CudaMemory:
    """The first CUDA binding that imports and reaches a device.

    Raises:
        BackendUnavailable: neither cuda-python nor pycuda is installed or no device answers.
    """
    problems: list[str] = []
    try:
        try:
            from cuda.bindings import runtime as cudart
        except ImportError:
            from cuda import cudart
        return _CudaPython(cudart)
    except ImportError as exc:
        problems.append(f"cuda-python not installed ({exc})")
    except BackendUnavailable as exc:
        problems.append(f"cuda-python: {exc.message}")
    try:
        import pycuda.autoinit  # noqa: F401  (creates the context pycuda's calls use)
        from pycuda import driver

        return _PyCuda(driver)
    except ImportError as exc:
        problems.append(f"pycuda not installed ({exc})")
    except Exception as exc:  # pycuda raises its own driver errors without a GPU
        problems.append(f"pycuda: {exc}")
    raise BackendUnavailable("no CUDA binding is usable: " + "; ".join(problems))
