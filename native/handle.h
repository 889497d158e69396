// Shared pattern for JS objects that own native state.
// The state lives in a shared_ptr: queued jobs hold their own reference, so an
// object stays alive while work on it is pending even if JS drops or disposes it.
// dispose() drops the JS side's reference at once; GC (the finaliser) does the
// same as a backstop.
#pragma once
#include <memory>
#include <string>

#include "errors.h"

namespace dpl {

template <typename State>
class Owned {
 public:
  explicit Owned(std::string kind) : kind_(std::move(kind)) {}

  void Reset(std::shared_ptr<State> state) { state_ = std::move(state); }
  void Dispose() { state_.reset(); }
  bool Disposed() const { return !state_; }

  // The state, or a clear error if dispose() was called.
  std::shared_ptr<State> Get() const {
    Require(state_ != nullptr, "this " + kind_ + " was disposed; create a new one to use it again", Code::Disposed);
    return state_;
  }

 private:
  std::string kind_;
  std::shared_ptr<State> state_;
};

}  // namespace dpl
