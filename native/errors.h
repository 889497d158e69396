// Turning C++ and LibTorch failures into plain messages for JS Errors.
#pragma once
#include <napi.h>

#include <stdexcept>
#include <string>

namespace dpl {

// A user-facing failure: bad argument, missing file, unusable device.
struct UserError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Message of the exception being handled (call inside a catch block).
// LibTorch messages lose their C++ backtrace, which means nothing to JS users.
std::string DescribeCurrentException();

// Throws a JS TypeError/Error from the JS thread when `ok` is false.
inline void Require(bool ok, const std::string& message) {
  if (!ok) throw UserError(message);
}

}  // namespace dpl
