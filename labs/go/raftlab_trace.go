package raft

// raftlab_trace.go: structured events for raftlab's trace viewer (its time-space diagram and state inspector).
// Written for raftlab, optional, standard library only, Go 1.15 or newer. Copy it into your src/raft folder and call
// these from your Raft; each prints one `@raftlab {json}` line on stderr. It prints nothing unless RAFTLAB_TRACE is
// set (raftlab sets it on the runs it starts), so a plain `go test` behaves as it did.
//
//	in Make:                   raftlabBoot(me)
//	in Kill:                   raftlabKill(me)
//	term or role changed:      raftlabState(me, term, isLeader)
//	sending an RPC:            ok := raftlabCall(rf.me, peer, "Raft.AppendEntries", &args, &reply, func() bool {
//	                               return rf.peers[peer].Call("Raft.AppendEntries", &args, &reply)
//	                           })
//	first line of a handler:   raftlabHandle(rf.me, "Raft.AppendEntries", args)
//	in persist():              raftlabPersist(rf.me, term, votedFor, snapshotIndex, entries, len(data))
//	                               entries: the log after the snapshot (index snapshotIndex+1 onwards), a slice of
//	                               structs with Term and Command fields; votedFor -1 means no vote
//	in Start (as it returns):  raftlabStart(rf.me, command, index, term, isLeader)
//	sending an ApplyMsg:       raftlabApply(rf.me, index, command)
//	in Snapshot:               raftlabSnapshot(rf.me, index, len(snapshot))
//
// RPC ids: raftlabCall numbers each call, and raftlabHandle finds the call it answers by the arguments it received
// (labrpc copies them, so the handler's copy prints as the caller's did). Numbers in commands are kept as they are;
// other commands become an 8-hex-digit hash of how they print, the same in persist and apply events.

import (
	"encoding/gob"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"reflect"
	"sync"
	"time"
)

type raftlabTracer struct {
	on      bool
	start   time.Time
	mu      sync.Mutex
	nextRPC int64
	// Sent and not yet handled: ids by (callee, method, arguments as printed).
	pending map[string][]int64
	calls   map[int64]raftlabCallInfo
	boots   map[int]int
	states  map[int]string
	logs    map[int]raftlabLog
}

type raftlabCallInfo struct {
	key     string
	from    int
	handled bool
}

type raftlabLog struct {
	snapshotIndex int
	terms         []int
	commands      []interface{}
}

var raftlabT = &raftlabTracer{
	on:      os.Getenv("RAFTLAB_TRACE") != "",
	start:   time.Now(),
	pending: map[string][]int64{},
	calls:   map[int64]raftlabCallInfo{},
	boots:   map[int]int{},
	states:  map[int]string{},
	logs:    map[int]raftlabLog{},
}

// One line, one write: lines under the pipe buffer's size are never interleaved with other output.
func (tr *raftlabTracer) emit(event map[string]interface{}) {
	event["t"] = float64(time.Since(tr.start).Microseconds()) / 1000
	line, err := json.Marshal(event)
	if err != nil {
		return
	}
	if len(line) > 3800 {
		for _, big := range []string{"args", "reply", "command"} {
			if _, ok := event[big]; ok {
				event[big] = "…"
			}
		}
		if line, err = json.Marshal(event); err != nil {
			return
		}
	}
	os.Stderr.Write(append(append([]byte("@raftlab "), line...), '\n'))
}

func raftlabBoot(me int) {
	tr := raftlabT
	if !tr.on {
		return
	}
	tr.mu.Lock()
	tr.boots[me]++
	generation := tr.boots[me]
	delete(tr.states, me)
	tr.mu.Unlock()
	tr.emit(map[string]interface{}{"kind": "restart", "node": me, "generation": generation})
}

func raftlabKill(me int) {
	if !raftlabT.on {
		return
	}
	raftlabT.emit(map[string]interface{}{"kind": "crash", "node": me})
}

func raftlabState(me int, term int, isLeader bool) {
	tr := raftlabT
	if !tr.on {
		return
	}
	now := fmt.Sprint(term, isLeader)
	tr.mu.Lock()
	same := tr.states[me] == now
	tr.states[me] = now
	tr.mu.Unlock()
	if !same {
		tr.emit(map[string]interface{}{"kind": "state", "node": me, "term": term, "isLeader": isLeader})
	}
}

func raftlabCall(me int, peer int, method string, args interface{}, reply interface{}, call func() bool) bool {
	tr := raftlabT
	if !tr.on {
		return call()
	}
	key := raftlabKey(peer, method, args)
	tr.mu.Lock()
	tr.nextRPC++
	id := tr.nextRPC
	tr.pending[key] = append(tr.pending[key], id)
	tr.calls[id] = raftlabCallInfo{key: key, from: me}
	tr.mu.Unlock()
	tr.emit(raftlabRPC("send", id, me, peer, method, args, "args"))
	ok := call()
	tr.mu.Lock()
	info := tr.calls[id]
	delete(tr.calls, id)
	if !info.handled {
		tr.forget(info.key, id)
	}
	tr.mu.Unlock()
	switch {
	case ok:
		tr.emit(raftlabRPC("reply", id, me, peer, method, reply, "reply"))
	case info.handled:
		tr.emit(map[string]interface{}{"kind": "reply-lost", "rpc": id, "node": me, "to": peer, "method": method, "reason": "reply-lost"})
	default:
		tr.emit(map[string]interface{}{"kind": "drop", "rpc": id, "node": me, "to": peer, "method": method, "reason": "request-lost"})
	}
	return ok
}

func raftlabHandle(me int, method string, args interface{}) {
	tr := raftlabT
	if !tr.on {
		return
	}
	key := raftlabKey(me, method, args)
	tr.mu.Lock()
	ids := tr.pending[key]
	if len(ids) == 0 {
		tr.mu.Unlock()
		return
	}
	id := ids[0]
	tr.forget(key, id)
	info := tr.calls[id]
	info.handled = true
	tr.calls[id] = info
	tr.mu.Unlock()
	tr.emit(map[string]interface{}{"kind": "deliver", "rpc": id, "node": me, "from": info.from, "method": method})
}

func (tr *raftlabTracer) forget(key string, id int64) {
	ids := tr.pending[key]
	for i, x := range ids {
		if x == id {
			ids = append(ids[:i:i], ids[i+1:]...)
			break
		}
	}
	if len(ids) == 0 {
		delete(tr.pending, key)
	} else {
		tr.pending[key] = ids
	}
}

func raftlabPersist(me int, term int, votedFor int, snapshotIndex int, entries interface{}, bytes int) {
	tr := raftlabT
	if !tr.on {
		return
	}
	now := raftlabLog{snapshotIndex: snapshotIndex}
	list := reflect.Indirect(reflect.ValueOf(entries))
	if list.Kind() == reflect.Slice || list.Kind() == reflect.Array {
		for i := 0; i < list.Len(); i++ {
			entry := reflect.Indirect(list.Index(i))
			if entry.Kind() != reflect.Struct {
				continue
			}
			t, c := raftlabField(entry, "Term", "term"), raftlabField(entry, "Command", "command")
			entryTerm := 0
			if t.IsValid() && t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64 {
				entryTerm = int(t.Int())
			}
			now.terms = append(now.terms, entryTerm)
			now.commands = append(now.commands, raftlabDigest(c))
		}
	}
	tr.mu.Lock()
	before, seen := tr.logs[me]
	tr.logs[me] = now
	tr.mu.Unlock()
	// What changed since the last save: the entries from the first index that differs.
	same := 0
	if seen && snapshotIndex >= before.snapshotIndex {
		offset := snapshotIndex - before.snapshotIndex
		for same < len(now.terms) && offset+same < len(before.terms) &&
			now.terms[same] == before.terms[offset+same] && now.commands[same] == before.commands[offset+same] {
			same++
		}
	}
	var vote interface{}
	if votedFor >= 0 {
		vote = votedFor
	}
	tr.emit(map[string]interface{}{
		"kind": "persist", "node": me, "bytes": bytes, "term": term, "votedFor": vote, "source": "describeState",
		"log": map[string]interface{}{
			"snapshotIndex": snapshotIndex, "from": snapshotIndex + 1 + same, "lastIndex": snapshotIndex + len(now.terms),
			"terms": append([]int{}, now.terms[same:]...), "commands": append([]interface{}{}, now.commands[same:]...),
		},
	})
}

func raftlabStart(me int, command interface{}, index int, term int, isLeader bool) {
	if !raftlabT.on {
		return
	}
	raftlabT.emit(map[string]interface{}{
		"kind": "start", "node": me, "command": raftlabDigest(reflect.ValueOf(command)), "index": index, "term": term, "isLeader": isLeader,
	})
}

func raftlabApply(me int, index int, command interface{}) {
	if !raftlabT.on {
		return
	}
	raftlabT.emit(map[string]interface{}{"kind": "apply", "node": me, "index": index, "command": raftlabDigest(reflect.ValueOf(command))})
}

func raftlabSnapshot(me int, index int, bytes int) {
	if !raftlabT.on {
		return
	}
	raftlabT.emit(map[string]interface{}{"kind": "snapshot", "node": me, "index": index, "bytes": bytes})
}

// --- helpers ---------------------------------------------------------------------------------------------------

func raftlabKey(to int, method string, args interface{}) string {
	v := reflect.ValueOf(args)
	for v.Kind() == reflect.Ptr && !v.IsNil() {
		v = v.Elem()
	}
	if !v.IsValid() {
		return fmt.Sprintf("%d|%s|nil", to, method)
	}
	return fmt.Sprintf("%d|%s|%v", to, method, v)
}

func raftlabRPC(kind string, id int64, me int, peer int, method string, value interface{}, field string) map[string]interface{} {
	event := map[string]interface{}{"kind": kind, "rpc": id, "node": me, "to": peer, "method": method, field: raftlabSummary(reflect.ValueOf(value), 0)}
	if term := raftlabField(reflect.Indirect(reflect.ValueOf(value)), "Term", "term"); term.IsValid() && term.Kind() >= reflect.Int && term.Kind() <= reflect.Int64 {
		event["term"] = term.Int()
	}
	var size raftlabCounter
	if gob.NewEncoder(&size).Encode(value) == nil {
		event["bytes"] = int(size)
	} else {
		event["bytes"] = 0
	}
	return event
}

type raftlabCounter int

func (c *raftlabCounter) Write(p []byte) (int, error) {
	*c += raftlabCounter(len(p))
	return len(p), nil
}

func raftlabField(v reflect.Value, names ...string) reflect.Value {
	if !v.IsValid() || v.Kind() != reflect.Struct {
		return reflect.Value{}
	}
	for _, name := range names {
		if f := v.FieldByName(name); f.IsValid() {
			return f
		}
	}
	return reflect.Value{}
}

// A command as traces keep it: a number as itself, anything else as a short hash of how it prints.
func raftlabDigest(v reflect.Value) interface{} {
	for v.IsValid() && (v.Kind() == reflect.Interface || v.Kind() == reflect.Ptr) && !v.IsNil() {
		v = v.Elem()
	}
	switch {
	case !v.IsValid():
		return nil
	case v.Kind() >= reflect.Int && v.Kind() <= reflect.Int64:
		return v.Int()
	case v.Kind() >= reflect.Uint && v.Kind() <= reflect.Uint64:
		return v.Uint()
	}
	h := fnv.New32a()
	fmt.Fprintf(h, "%v", v)
	return fmt.Sprintf("%08x", h.Sum32())
}

// A small, JSON-safe picture of a value: long lists become their first items and a count, bytes their count.
func raftlabSummary(v reflect.Value, depth int) interface{} {
	for v.IsValid() && (v.Kind() == reflect.Interface || v.Kind() == reflect.Ptr) {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		return nil
	}
	switch v.Kind() {
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint()
	case reflect.Float32, reflect.Float64:
		return v.Float()
	case reflect.String:
		if s := v.String(); len(s) > 96 {
			return s[:96] + "…"
		}
		return v.String()
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return map[string]interface{}{"$bytes": v.Len()}
		}
		if depth >= 4 {
			return "…"
		}
		n, keep := v.Len(), v.Len()
		if n > 8 {
			keep = 3
		}
		items := make([]interface{}, keep)
		for i := range items {
			items[i] = raftlabSummary(v.Index(i), depth+1)
		}
		if n > 8 {
			return map[string]interface{}{"$len": n, "head": items}
		}
		return items
	case reflect.Struct:
		if depth >= 4 {
			return "…"
		}
		out := map[string]interface{}{}
		for i := 0; i < v.NumField(); i++ {
			if f := v.Type().Field(i); f.PkgPath == "" {
				out[f.Name] = raftlabSummary(v.Field(i), depth+1)
			}
		}
		return out
	}
	return v.Type().String()
}
