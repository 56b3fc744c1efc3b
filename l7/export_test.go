package l7

// ParseGRPCTimeout exposes parseGRPCTimeout to the external tests.
var ParseGRPCTimeout = parseGRPCTimeout
