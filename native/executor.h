// One thread owns all tensor work. JS calls queue a job here and get a Promise;
// the job runs off the event loop, and its result is turned into JS values back
// on the JS thread. A single owner keeps device state, grad mode, thread counts
// and model mutation race-free, and keeps Node's libuv pool free for file I/O.
//
// Bound: setMaxPendingJobs(n) makes a call that would exceed n pending jobs reject
// at once with ERR_DPL_BUSY (nothing is queued). Exit: when the process exits (the
// 'exit' event), queued jobs are dropped; if a job is still running when the C++
// exit handlers start, the process ends with the same exit code without running
// static destructors, which would pull LibTorch out from under the running job.
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

// Jobs queued, running, or done but not yet delivered to JS (process-wide).
size_t PendingJobs();

// Starts the tensor thread if it is not running (it starts on first use otherwise).
void StartWorker();

// pendingJobs(), setMaxPendingJobs(n) (0: no bound); the exit guard (main thread only).
void InitExecutor(Napi::Env env, Napi::Object exports);

}  // namespace dpl
