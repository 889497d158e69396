// Failures as JS errors with a stable `code` and class (README, "Errors").
//
// Code that checks an argument or state calls Require/Fail with a Code. On a JS
// thread (one that loaded the addon) that throws the JS error itself, so a
// synchronous throw carries the code; on the tensor worker it throws a UserError,
// which the executor turns into the same JS error when it rejects the Promise.
// A LibTorch exception that no check caught becomes ERR_DPL_TORCH.
#pragma once
#include <napi.h>

#include <stdexcept>
#include <string>

namespace dpl {

// One per kind of failure a caller can act on. Keep in step with src/errors.ts.
enum class Code {
  Arg,       // ERR_DPL_ARG (TypeError): an argument of the wrong type, or a value it does not accept
  Dtype,     // ERR_DPL_DTYPE (TypeError): tensor data of the wrong element type
  Shape,     // ERR_DPL_SHAPE (RangeError): a tensor of the wrong shape or too small for the work
  Layer,     // ERR_DPL_LAYER (RangeError): a layer past the end of the network, or an unknown layer name
  Nan,       // ERR_DPL_NAN (RangeError): NaN or infinity in the input or the training loss
  Disposed,  // ERR_DPL_DISPOSED (Error): the object was disposed
  Device,    // ERR_DPL_DEVICE (Error): a device this build or machine does not have
  File,      // ERR_DPL_FILE (Error): a file that is missing, unreadable or does not fit
  Busy,      // ERR_DPL_BUSY (Error): the job queue is at setMaxPendingJobs' bound
  Torch,     // ERR_DPL_TORCH (Error): a LibTorch failure inside the work (its message kept)
};

// "ERR_DPL_ARG" ...
const char* CodeName(Code code);

// A failure off the JS thread (or thrown before an env exists), carried to JS by the executor.
struct UserError : std::runtime_error {
  explicit UserError(const std::string& message, Code code = Code::Arg) : std::runtime_error(message), code(code) {}
  Code code;
};

// The JS error for `code`: its class (TypeError, RangeError or Error) with `code` set.
Napi::Error MakeJsError(Napi::Env env, Code code, const std::string& message);

// Throws the failure: a Napi::Error on a JS thread, a UserError elsewhere.
[[noreturn]] void Fail(Code code, const std::string& message);

// Fails with `code` (by default ERR_DPL_ARG, a bad argument) when `ok` is false.
inline void Require(bool ok, const std::string& message, Code code = Code::Arg) {
  if (!ok) Fail(code, message);
}

// The exception being handled (call inside a catch block), as a code and message.
// LibTorch messages lose their C++ backtrace, which means nothing to JS users.
struct Failure {
  Code code;
  std::string message;
};
Failure CurrentFailure();
// Its message alone.
std::string DescribeCurrentException();

// Records that this thread runs `env`'s JS (from the module's Init), so Fail throws
// JS errors here; undone at the env's cleanup.
void BindJsThread(Napi::Env env);

// internal.errorClasses: {ERR_DPL_ARG: 'TypeError', ...}, so a test can hold
// src/errors.ts to this table.
void InitErrors(Napi::Env env, Napi::Object internal);

}  // namespace dpl
