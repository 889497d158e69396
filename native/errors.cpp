#include "errors.h"

#include <c10/util/Exception.h>

namespace dpl {
namespace {

// The env whose JS runs on this thread; null on the tensor worker and other threads.
// One per thread: Node runs each env (main thread, each worker_thread) on a thread of its own.
thread_local napi_env js_env = nullptr;

enum class JsClass { Error, TypeError, RangeError };

JsClass ClassOf(Code code) {
  switch (code) {
    case Code::Arg:
    case Code::Dtype:
      return JsClass::TypeError;
    case Code::Shape:
    case Code::Layer:
    case Code::Nan:
      return JsClass::RangeError;
    default:
      return JsClass::Error;
  }
}

}  // namespace

const char* CodeName(Code code) {
  switch (code) {
    case Code::Arg:
      return "ERR_DPL_ARG";
    case Code::Dtype:
      return "ERR_DPL_DTYPE";
    case Code::Shape:
      return "ERR_DPL_SHAPE";
    case Code::Layer:
      return "ERR_DPL_LAYER";
    case Code::Nan:
      return "ERR_DPL_NAN";
    case Code::Disposed:
      return "ERR_DPL_DISPOSED";
    case Code::Device:
      return "ERR_DPL_DEVICE";
    case Code::File:
      return "ERR_DPL_FILE";
    case Code::Busy:
      return "ERR_DPL_BUSY";
    case Code::Torch:
      return "ERR_DPL_TORCH";
  }
  return "ERR_DPL_TORCH";
}

Napi::Error MakeJsError(Napi::Env env, Code code, const std::string& message) {
  Napi::Error error;
  switch (ClassOf(code)) {
    case JsClass::TypeError:
      error = Napi::TypeError::New(env, message);
      break;
    case JsClass::RangeError:
      error = Napi::RangeError::New(env, message);
      break;
    default:
      error = Napi::Error::New(env, message);
  }
  error.Set("code", Napi::String::New(env, CodeName(code)));
  return error;
}

void Fail(Code code, const std::string& message) {
  if (js_env) throw MakeJsError(Napi::Env(js_env), code, message);
  throw UserError(message, code);
}

Failure CurrentFailure() {
  try {
    throw;
  } catch (const UserError& e) {
    return {e.code, e.what()};
  } catch (const c10::Error& e) {
    return {Code::Torch, e.what_without_backtrace()};
  } catch (const Napi::Error& e) {
    return {Code::Torch, e.Message()};
  } catch (const std::exception& e) {
    return {Code::Torch, e.what()};
  } catch (...) {
    return {Code::Torch, "unknown native error"};
  }
}

std::string DescribeCurrentException() {
  try {
    throw;
  } catch (...) {
    return CurrentFailure().message;
  }
}

void InitErrors(Napi::Env env, Napi::Object internal) {
  auto classes = Napi::Object::New(env);
  for (Code code : {Code::Arg, Code::Dtype, Code::Shape, Code::Layer, Code::Nan, Code::Disposed, Code::Device,
                    Code::File, Code::Busy, Code::Torch}) {
    classes.Set(CodeName(code), MakeJsError(env, code, "").Get("name"));
  }
  internal.Set("errorClasses", classes);
}

void BindJsThread(Napi::Env env) {
  js_env = env;
  // A worker_thread's env ends before its thread does; forget it then.
  env.AddCleanupHook([] { js_env = nullptr; });
}

}  // namespace dpl
