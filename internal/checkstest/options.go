package checkstest

import (
	"fmt"
	"reflect"
)

// OptionCompiles reports whether the compiler accepts a call of the option
// function option (checks.WithName, hostcheck.WithRSSLimit, ...) as one of
// the variadic options of constructor (a function or method expression
// whose last parameter is ...T): whether option's result type is
// assignable to T, the rule the type checker applies. A test file cannot
// hold code that does not compile, so this is how a test proves that a
// misplaced option is a compile error.
//
// dynamic is whether the value option returns (called with zero
// arguments) implements T, which is what the constructor's own dispatch
// sees; a test asserts both, so that the declared types and the
// implementations agree.
func OptionCompiles(constructor, option any) (static, dynamic bool) {
	ct, ot := reflect.TypeOf(constructor), reflect.TypeOf(option)
	if ct.Kind() != reflect.Func || !ct.IsVariadic() {
		panic(fmt.Sprintf("checkstest: constructor %v is not a variadic function", ct))
	}
	if ot.Kind() != reflect.Func || ot.NumOut() != 1 {
		panic(fmt.Sprintf("checkstest: option %v is not a function returning one option", ot))
	}
	param := ct.In(ct.NumIn() - 1).Elem()
	args := make([]reflect.Value, ot.NumIn())
	for i := range args {
		args[i] = reflect.Zero(ot.In(i))
	}
	call := reflect.ValueOf(option).Call
	if ot.IsVariadic() {
		call = reflect.ValueOf(option).CallSlice
	}
	v := call(args)[0]
	if v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	return ot.Out(0).AssignableTo(param), v.IsValid() && v.Type().Implements(param)
}
