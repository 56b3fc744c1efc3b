package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/fulcrum-lb/fulcrum/config"
)

// maxBody bounds every request body the API reads.
const maxBody = 1 << 20

// apiError is a refusal: the status to answer with, a message naming the problem and, for
// a configuration that does not validate, every problem found.
type apiError struct {
	status   int
	msg      string
	problems []problem
	diff     string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// problem is a config.Problem as JSON.
type problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Message string `json:"message"`
}

func problemsOf(ps []config.Problem) []problem {
	out := make([]problem, len(ps))
	for i, p := range ps {
		out[i] = problem{File: p.File, Line: p.Line, Col: p.Col, Message: p.Msg}
	}
	return out
}

// invalid turns a config.Parse error into a 400 that lists every problem.
func invalid(err error) *apiError {
	var ps config.Problems
	if errors.As(err, &ps) {
		return &apiError{status: http.StatusBadRequest, problems: problemsOf(ps),
			msg: fmt.Sprintf("configuration is invalid (%s); first: %s", plural(len(ps), "problem"), ps[0])}
	}
	return errorf(http.StatusBadRequest, "configuration is invalid: %v", err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// fail answers err: an *apiError as itself, anything else as a 500.
func fail(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = errorf(http.StatusInternalServerError, "%v", err)
	}
	body := struct {
		Error    string    `json:"error"`
		Problems []problem `json:"problems,omitempty"`
		Diff     string    `json:"diff,omitempty"`
	}{ae.msg, ae.problems, ae.diff}
	writeJSON(w, ae.status, body)
}

// readBody reads a request body of at most maxBody bytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return nil, errorf(http.StatusRequestEntityTooLarge, "request body: %v (limit %d bytes)", err, maxBody)
	}
	return data, nil
}

// decodeJSON reads a JSON object into v, refusing unknown fields and trailing data.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	data, err := readBody(w, r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "request body is not valid JSON for this endpoint: %v", err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "request body has data after the JSON object")
	}
	return nil
}

// queryBool reads a boolean query parameter; absent means false.
func queryBool(r *http.Request, name string) (bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, errorf(http.StatusBadRequest, "query parameter %s=%q: want true or false", name, s)
	}
	return b, nil
}

// plural writes "1 problem" or "3 problems".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
