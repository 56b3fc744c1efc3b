package health

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"golang.org/x/net/http2/hpack"
)

// GRPC passes when the backend's grpc.health.v1.Health/Check answers SERVING for Service
// ("" asks about the server as a whole). It speaks just enough HTTP/2 with prior knowledge
// (h2c) for one unary call on one connection, so this package still does not import
// net/http or a gRPC client: frames are written and read by hand, headers with hpack.
type GRPC struct {
	Service string
}

// HTTP/2 frame types and flags used by the check (RFC 9113 §6).
const (
	frameData         = 0x0
	frameHeaders      = 0x1
	frameRSTStream    = 0x3
	frameSettings     = 0x4
	framePing         = 0x6
	frameGoAway       = 0x7
	frameContinuation = 0x9
	flagEndStream     = 0x1
	flagAck           = 0x1
	flagEndHeaders    = 0x4
	flagPadded        = 0x8
	flagPriority      = 0x20
	maxCheckFrame     = 1 << 14 // the default SETTINGS_MAX_FRAME_SIZE
	healthCheckPath   = "/grpc.health.v1.Health/Check"
	servingStatus     = 1 // HealthCheckResponse.ServingStatus SERVING
)

const clientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// Check makes one Health/Check call and closes the connection.
func (g *GRPC) Check(ctx context.Context, address string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", address)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := g.send(conn, address); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return readHealthAnswer(bufio.NewReader(conn), conn)
}

// send writes the preface, empty SETTINGS, the request headers and the one message.
func (g *GRPC) send(w io.Writer, authority string) error {
	var hdr bytes.Buffer
	enc := hpack.NewEncoder(&hdr)
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", healthCheckPath},
		{":authority", authority}, {"content-type", "application/grpc"}, {"te", "trailers"}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	var buf bytes.Buffer
	buf.WriteString(clientPreface)
	writeFrame(&buf, frameSettings, 0, 0, nil)
	writeFrame(&buf, frameHeaders, flagEndHeaders, 1, hdr.Bytes())
	writeFrame(&buf, frameData, flagEndStream, 1, grpcMessage(healthRequest(g.Service)))
	_, err := w.Write(buf.Bytes())
	return err
}

func writeFrame(b *bytes.Buffer, typ, flags byte, stream uint32, payload []byte) {
	n := len(payload)
	b.Write([]byte{byte(n >> 16), byte(n >> 8), byte(n), typ, flags})
	binary.Write(b, binary.BigEndian, stream&0x7fffffff)
	b.Write(payload)
}

// healthRequest encodes HealthCheckRequest{service} as protobuf: field 1, length-delimited.
func healthRequest(service string) []byte {
	if service == "" {
		return nil
	}
	out := []byte{0x0a}
	out = binary.AppendUvarint(out, uint64(len(service)))
	return append(out, service...)
}

// grpcMessage frames a message: uncompressed flag, 4-byte length, bytes.
func grpcMessage(msg []byte) []byte {
	out := []byte{0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(out[1:], uint32(len(msg)))
	return append(out, msg...)
}

// healthAnswer collects stream 1's headers, trailers and data.
type healthAnswer struct {
	fields map[string]string
	data   []byte
	done   bool
}

// readHealthAnswer reads frames until stream 1 ends, acknowledging SETTINGS and PING, then
// judges the answer.
func readHealthAnswer(r *bufio.Reader, w io.Writer) error {
	ans := &healthAnswer{fields: map[string]string{}}
	dec := hpack.NewDecoder(4096, func(f hpack.HeaderField) { ans.fields[f.Name] = f.Value })
	for !ans.done {
		typ, flags, stream, payload, err := readFrame(r)
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if err := ans.handle(typ, flags, stream, payload, dec, w); err != nil {
			return err
		}
	}
	return ans.verdict()
}

func (ans *healthAnswer) handle(typ, flags byte, stream uint32, payload []byte, dec *hpack.Decoder, w io.Writer) error {
	switch {
	case typ == frameSettings && flags&flagAck == 0:
		var b bytes.Buffer
		writeFrame(&b, frameSettings, flagAck, 0, nil)
		_, err := w.Write(b.Bytes())
		return err
	case typ == framePing && flags&flagAck == 0:
		var b bytes.Buffer
		writeFrame(&b, framePing, flagAck, 0, payload)
		_, err := w.Write(b.Bytes())
		return err
	case typ == frameGoAway:
		return errors.New("server sent GOAWAY")
	case stream != 1:
		return nil
	case typ == frameRSTStream:
		return errors.New("server reset the stream")
	case typ == frameHeaders || typ == frameContinuation:
		if _, err := dec.Write(headerBlock(typ, flags, payload)); err != nil {
			return fmt.Errorf("headers: %w", err)
		}
	case typ == frameData:
		ans.data = append(ans.data, unpad(flags, payload)...)
	}
	ans.done = flags&flagEndStream != 0 && (typ == frameHeaders || typ == frameData)
	return nil
}

// headerBlock strips padding and priority from a HEADERS payload.
func headerBlock(typ, flags byte, p []byte) []byte {
	if typ != frameHeaders {
		return p
	}
	p = unpad(flags, p)
	if flags&flagPriority != 0 && len(p) >= 5 {
		p = p[5:]
	}
	return p
}

func unpad(flags byte, p []byte) []byte {
	if flags&flagPadded == 0 || len(p) == 0 {
		return p
	}
	pad := int(p[0])
	if pad >= len(p) {
		return nil
	}
	return p[1 : len(p)-pad]
}

func readFrame(r *bufio.Reader) (typ, flags byte, stream uint32, payload []byte, err error) {
	var h [9]byte
	if _, err = io.ReadFull(r, h[:]); err != nil {
		return
	}
	n := int(h[0])<<16 | int(h[1])<<8 | int(h[2])
	if n > maxCheckFrame {
		return 0, 0, 0, nil, fmt.Errorf("frame of %d bytes is larger than %d", n, maxCheckFrame)
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(r, payload)
	return h[3], h[4], binary.BigEndian.Uint32(h[5:]) & 0x7fffffff, payload, err
}

// verdict passes only on grpc-status 0 and a SERVING status in the response message.
func (ans *healthAnswer) verdict() error {
	if s := ans.fields["grpc-status"]; s != "0" {
		return fmt.Errorf("grpc-status %s: %s", s, ans.fields["grpc-message"])
	}
	if len(ans.data) < 5 {
		return errors.New("no response message")
	}
	if st := servingStatusOf(ans.data[5:]); st != servingStatus {
		return fmt.Errorf("serving status %d, want SERVING", st)
	}
	return nil
}

// servingStatusOf reads field 1 (varint) of HealthCheckResponse; absent means UNKNOWN (0).
func servingStatusOf(msg []byte) uint64 {
	if len(msg) < 2 || msg[0] != 0x08 {
		return 0
	}
	v, n := binary.Uvarint(msg[1:])
	if n <= 0 {
		return 0
	}
	return v
}
