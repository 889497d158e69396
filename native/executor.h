// One thread owns all tensor work. JS calls queue a job here and get a Promise;
// the job runs off the event loop, and its result is turned into JS values back
// on the JS thread. A single owner keeps device state, grad mode and model
// mutation race-free, and keeps Node's libuv pool free for file I/O.
#pragma once
#include <napi.h>

#include <functional>
#include <memory>

namespace dpl {

// Runs on the JS thread once the job is done; builds the JS result.
using Finisher = std::function<Napi::Value(Napi::Env)>;
// Runs on the tensor thread; returns the finisher. Throwing rejects the Promise.
using Job = std::function<Finisher()>;

// Queues `job` and returns a Promise for what its finisher builds.
Napi::Promise Schedule(Napi::Env env, Job job);

// Number of jobs queued or running (for tests and diagnostics).
size_t PendingJobs();

}  // namespace dpl
