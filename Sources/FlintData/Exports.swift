@_exported import Flint
