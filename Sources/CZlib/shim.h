#ifndef FLINT_CZLIB_SHIM_H
#define FLINT_CZLIB_SHIM_H
// zlib reads gzip-compressed files (and plain files, transparently) for the importers.
#include <zlib.h>
#endif
