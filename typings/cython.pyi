# mypy reads this instead of Cython's untyped Shadow module: the core uses only the names the
# shim provides, with the shim's (no-op) types.
from fdevent._pure._cython_shim import *  # noqa: F403
from fdevent._pure._cython_shim import (
    Py_ssize_t as Py_ssize_t,
)
from fdevent._pure._cython_shim import (
    annotation_typing as annotation_typing,
)
from fdevent._pure._cython_shim import (
    bint as bint,
)
from fdevent._pure._cython_shim import (
    cast as cast,
)
from fdevent._pure._cython_shim import (
    ccall as ccall,
)
from fdevent._pure._cython_shim import (
    cclass as cclass,
)
from fdevent._pure._cython_shim import (
    cfunc as cfunc,
)
from fdevent._pure._cython_shim import (
    compiled as compiled,
)
from fdevent._pure._cython_shim import (
    double as double,
)
from fdevent._pure._cython_shim import (
    exceptval as exceptval,
)
from fdevent._pure._cython_shim import (
    final as final,
)
from fdevent._pure._cython_shim import (
    inline as inline,
)
from fdevent._pure._cython_shim import int as int  # noqa: A004
from fdevent._pure._cython_shim import (
    locals as locals,  # noqa: A004
)
from fdevent._pure._cython_shim import (
    longlong as longlong,
)
from fdevent._pure._cython_shim import (
    nogil as nogil,
)
from fdevent._pure._cython_shim import (
    uint as uint,
)
