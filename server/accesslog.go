package server

import "github.com/fulcrum-lb/fulcrum/accesslog"

// SetAccessLog makes the data paths write access lines to l (nil: none). Call it before
// traffic flows or at any time after; data paths read it per request or connection.
func (s *Server) SetAccessLog(l *accesslog.Logger) { s.access.Store(l) }

// AccessLog returns the access log in force, or nil. A nil *accesslog.Logger logs nothing,
// so data paths may use the result without checking it.
func (s *Server) AccessLog() *accesslog.Logger { return s.access.Load() }
