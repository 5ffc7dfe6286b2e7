// PutUsbScanCodes for vcsim: typing at a VM's console, as vSphere 6.5+ allows
// (vSphere API reference, VirtualMachine.PutUsbScanCodes; govc vm.keystrokes is a client of it).
//
// vcsim 0.24 (Debian's golang-github-vmware-govmomi-dev) has no such method and answers
// MethodNotFound. This file adds it without touching main.go: vcsim decodes a request's body
// with the type registered under the method's name in vim25/types, so init() registers our own
// request type there. While decoding, it keeps the VM (the request's _this) aside and points
// the call at a console keyboard object of ours, which vcsim then dispatches PutUsbScanCodes to.
//
// What a guest would see is recorded where the Fuel simulator (sim/fuel/master_vm.py) can
// read it through the property collector: each call appends one JSON line
// {"at": <unix time>, "text": "<decoded keys>"} to the VM's extraConfig option
// "vcsim.console.typed". Keys decode as a US keyboard does: Tab "\t", Enter "\n",
// Backspace "\b", Esc "\x1b"; usbHidCode is (HID usage << 16) | 7 (govc vm.keystrokes).
// A VM that is not powered on refuses with InvalidPowerState, as vSphere does.
package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml" // govmomi's fork of encoding/xml, which vcsim decodes with
)

const typedOption = "vcsim.console.typed"

var (
	keyboardRef  = types.ManagedObjectReference{Type: "ConsoleKeyboard", Value: "console-keyboard"}
	keyboardOnce sync.Mutex
)

func init() {
	types.Add("PutUsbScanCodes", reflect.TypeOf((*putUsbScanCodes)(nil)).Elem())
}

// putUsbScanCodes is the request as vcsim decodes it: This (what vcsim dispatches to) is our
// keyboard, Target the VM the client named.
type putUsbScanCodes struct {
	This   types.ManagedObjectReference
	Target types.ManagedObjectReference
	Spec   types.UsbScanCodeSpec
}

func (r *putUsbScanCodes) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var wire types.PutUsbScanCodes
	if err := d.DecodeElement(&wire, &start); err != nil {
		return err
	}
	r.This, r.Target, r.Spec = keyboardRef, wire.This, wire.Spec
	keyboardOnce.Lock()
	defer keyboardOnce.Unlock()
	if simulator.Map.Get(keyboardRef) == nil { // the registry is made by model.Create, after init()
		simulator.Map.Put(&consoleKeyboard{ExtensibleManagedObject: mo.ExtensibleManagedObject{Self: keyboardRef}})
	}
	return nil
}

// consoleKeyboard serves PutUsbScanCodes for every VM.
type consoleKeyboard struct {
	mo.ExtensibleManagedObject
}

func (k *consoleKeyboard) PutUsbScanCodes(ctx *simulator.Context, req *putUsbScanCodes) soap.HasFault {
	body := &methods.PutUsbScanCodesBody{}
	vm, ok := simulator.Map.Get(req.Target).(*simulator.VirtualMachine)
	if !ok || req.Target.Type != "VirtualMachine" {
		body.Fault_ = simulator.Fault("", &types.ManagedObjectNotFound{Obj: req.Target})
		return body
	}
	ctx.WithLock(vm, func() {
		if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
			body.Fault_ = simulator.Fault("", &types.InvalidPowerState{
				RequestedState: types.VirtualMachinePowerStatePoweredOn,
				ExistingState:  vm.Runtime.PowerState,
			})
			return
		}
		record(vm, decodeKeys(req.Spec.KeyEvents))
		body.Res = &types.PutUsbScanCodesResponse{Returnval: int32(len(req.Spec.KeyEvents))}
	})
	return body
}

func record(vm *simulator.VirtualMachine, text string) {
	line, _ := json.Marshal(map[string]interface{}{"at": float64(time.Now().UnixNano()) / 1e9, "text": text})
	options := []types.BaseOptionValue{}
	previous := ""
	if vm.Config != nil {
		for _, option := range vm.Config.ExtraConfig {
			value := option.GetOptionValue()
			if value.Key == typedOption {
				previous, _ = value.Value.(string)
				continue
			}
			options = append(options, option)
		}
	}
	options = append(options, &types.OptionValue{Key: typedOption, Value: previous + string(line) + "\n"})
	simulator.Map.Update(vm, []types.PropertyChange{{Name: "config.extraConfig", Val: options}})
}

// decodeKeys turns USB HID key events into the text a US-layout console receives.
func decodeKeys(events []types.UsbScanCodeSpecKeyEvent) string {
	var out strings.Builder
	for _, event := range events {
		usage := event.UsbHidCode >> 16
		shift, ctrl := false, false
		if m := event.Modifiers; m != nil {
			shift = isTrue(m.LeftShift) || isTrue(m.RightShift)
			ctrl = isTrue(m.LeftControl) || isTrue(m.RightControl)
		}
		ch, ok := hidKey(usage, shift)
		if !ok {
			continue // keys that print nothing (F-keys, arrows, ...)
		}
		if ctrl && ch >= 'a' && ch <= 'z' {
			ch = ch - 'a' + 1
		}
		out.WriteRune(ch)
	}
	return out.String()
}

func isTrue(b *bool) bool { return b != nil && *b }

const (
	hidDigits  = "1234567890"
	hidShifted = "!@#$%^&*()"
	hidPunct   = "-=[]\\#;'`,./"
	hidPunctUp = "_+{}|~:\"~<>?"
)

// hidKey follows the USB HID usage tables (keyboard page 0x07), US layout.
func hidKey(usage int32, shift bool) (rune, bool) {
	switch {
	case usage >= 0x04 && usage <= 0x1d:
		ch := rune('a' + usage - 0x04)
		if shift {
			ch -= 'a' - 'A'
		}
		return ch, true
	case usage >= 0x1e && usage <= 0x27:
		if shift {
			return rune(hidShifted[usage-0x1e]), true
		}
		return rune(hidDigits[usage-0x1e]), true
	case usage == 0x28 || usage == 0x58:
		return '\n', true
	case usage == 0x29:
		return 0x1b, true
	case usage == 0x2a:
		return '\b', true
	case usage == 0x2b:
		return '\t', true
	case usage == 0x2c:
		return ' ', true
	case usage >= 0x2d && usage <= 0x38:
		if shift {
			return rune(hidPunctUp[usage-0x2d]), true
		}
		return rune(hidPunct[usage-0x2d]), true
	}
	return 0, false
}
