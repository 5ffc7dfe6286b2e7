// The strict front: an http.Handler in front of vcsim's /sdk that makes a few methods behave as
// vCenter does where vcsim is lenient (see strict_create_vm.go, strict_power_on.go,
// strict_dvportgroup.go, strict_move.go, strict_snapshot.go).
//
// Why a front and not a wrapped managed object (govmomi's example_extend_test.go): vcsim's own
// code type-asserts VirtualMachine, Folder and DistributedVirtualPortgroup objects it takes from
// its registry (CloneVM, Folder.Destroy, MoveIntoFolder, ReconfigureDvs...), so a wrapper in the
// registry would crash those. HostNetworkSystem is never asserted, so it is wrapped instead
// (strict_host_network.go).
//
// The front decodes each SOAP request with vcsim's own decoder. A rule may answer the call itself
// (always with a Task, created the way vcsim creates tasks), rewrite the request, or let it pass
// unchanged. The per-call delay (-delay) is applied here, once per SOAP call.
package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io/ioutil"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	vimxml "github.com/vmware/govmomi/vim25/xml"
)

// verdict is what a rule decided about one call.
type verdict struct {
	task    *types.ManagedObjectReference // answer with this task (a refusal, or work done by the rule)
	request interface{}                   // pass on this rewritten request body (a methods.*Body)
	around  func(pass func())             // pass on, wrapped (e.g. while vcsim's membership check is relaxed)
}

type rule func(method *simulator.Method) verdict

type strictFront struct {
	next  http.Handler
	delay time.Duration
	rules map[string]rule
	// serial holds calls whose rule relaxes a vcsim check for the duration of the call.
	serial sync.Mutex
}

func newStrictFront(next http.Handler, delay time.Duration) *strictFront {
	return &strictFront{next: next, delay: delay, rules: map[string]rule{
		"CreateVM_Task":               checkCreateVM,
		"PowerOnVM_Task":              checkPowerOn,
		"ReconfigureDVPortgroup_Task": mergeReconfigureDVPortgroup,
		"CloneVM_Task":                checkCloneVM,
		"MoveIntoFolder_Task":         checkMoveIntoFolder,
		"CreateSnapshot_Task":         snapshotHoldsMemory,
		"RevertToSnapshot_Task":       revertWithPowerState,
	}}
}

func (f *strictFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/sdk" {
		f.next.ServeHTTP(w, r)
		return
	}
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	body, err := ioutil.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.Body = ioutil.NopCloser(bytes.NewReader(body))
	method, err := simulator.UnmarshalBody(types.TypeFunc(), body)
	if err != nil {
		f.next.ServeHTTP(w, r)
		return
	}
	check, ok := f.rules[method.Name]
	if !ok || !f.authenticated(r) { // vcsim itself answers NotAuthenticated
		f.next.ServeHTTP(w, r)
		return
	}
	v := check(method)
	switch {
	case v.task != nil:
		writeTaskReply(w, method.Name, *v.task)
	case v.request != nil:
		f.pass(w, r, encodeRequest(v.request), v.around)
	default:
		f.pass(w, r, body, v.around)
	}
}

func (f *strictFront) pass(w http.ResponseWriter, r *http.Request, body []byte, around func(func())) {
	r.Body = ioutil.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	if around == nil {
		f.next.ServeHTTP(w, r)
		return
	}
	f.serial.Lock()
	defer f.serial.Unlock()
	around(func() { f.next.ServeHTTP(w, r) })
}

// authenticated asks vcsim whether the request's session cookie is a live session, with a
// CurrentTime call that never reaches the network.
func (f *strictFront) authenticated(r *http.Request) bool {
	if _, err := r.Cookie(soap.SessionCookieName); err != nil {
		return false
	}
	probe := httptest.NewRequest(http.MethodPost, "/sdk", strings.NewReader(currentTimeRequest))
	for _, c := range r.Cookies() {
		probe.AddCookie(c)
	}
	answer := httptest.NewRecorder()
	f.next.ServeHTTP(answer, probe)
	return answer.Code == http.StatusOK
}

const currentTimeRequest = `<?xml version="1.0" encoding="UTF-8"?>` +
	`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>` +
	`<CurrentTime xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></CurrentTime>` +
	`</soapenv:Body></soapenv:Envelope>`

// refuse creates a task on “entity“ that fails with “fault“, as vcsim's own tasks do.
func refuse(entity types.ManagedObjectReference, name string, fault types.BaseMethodFault) verdict {
	task := simulator.CreateTask(entity, name, func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, fault
	})
	ref := task.Run()
	return verdict{task: &ref}
}

// writeTaskReply answers a *_Task method with its task, in the envelope vcsim writes.
func writeTaskReply(w http.ResponseWriter, method string, task types.ManagedObjectReference) {
	var out bytes.Buffer
	out.WriteString(xml.Header)
	out.WriteString(`<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" ` +
		`xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ` +
		`xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>`)
	fmt.Fprintf(&out, `<%sResponse xmlns="urn:vim25"><returnval type="%s">`, method, escape(task.Type))
	out.WriteString(escape(task.Value))
	fmt.Fprintf(&out, `</returnval></%sResponse></soapenv:Body></soapenv:Envelope>`, method)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out.Bytes())
}

func escape(text string) string {
	var out bytes.Buffer
	_ = xml.EscapeText(&out, []byte(text))
	return out.String()
}

// encodeRequest serialises a rewritten request exactly as a govmomi client sends it.
func encodeRequest(body interface{}) []byte {
	encoded, err := vimxml.Marshal(soap.Envelope{Body: body})
	if err != nil {
		panic(fmt.Sprintf("strict front: cannot encode %T: %v", body, err))
	}
	return append([]byte(vimxml.Header), encoded...)
}

// Requests rewritten by the rules, wrapped the way the govmomi client wraps them.
func createVMBody(req *types.CreateVM_Task) interface{} { return &methods.CreateVM_TaskBody{Req: req} }
