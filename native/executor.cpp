#include "executor.h"

#include <sys/syscall.h>
#include <torch/torch.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "errors.h"
#include "threads.h"

namespace dpl {
namespace {

class Worker;
Worker& TheWorker();

// What travels from the worker to the JS thread. Counts as pending from Schedule
// until it is destroyed: after its Promise settled, or when Node drops it (an env
// torn down with work in flight), so the count never leaks.
struct Delivery {
  explicit Delivery(Napi::Promise::Deferred d) : deferred(d) {}
  ~Delivery();
  Napi::Promise::Deferred deferred;
  Finisher finish;
  bool failed = false;
  Failure failure{Code::Torch, ""};
};

struct Task {
  Job job;
  std::unique_ptr<Delivery> delivery;
  napi_threadsafe_function tsfn = nullptr;
};

void Settle(Napi::Env env, Delivery& d) {
  Napi::HandleScope scope(env);
  try {
    if (d.failed) {
      d.deferred.Reject(MakeJsError(env, d.failure.code, d.failure.message).Value());
    } else {
      d.deferred.Resolve(d.finish(env));
    }
  } catch (const Napi::Error& e) {
    d.deferred.Reject(e.Value());
  } catch (...) {
    auto f = CurrentFailure();
    d.deferred.Reject(MakeJsError(env, f.code, f.message).Value());
  }
}

// Node calls this on the JS thread with each delivery; with a null env when the
// env is being torn down, and the delivery is only freed.
void CallSettle(napi_env env, napi_value, void*, void* data) {
  std::unique_ptr<Delivery> d(static_cast<Delivery*>(data));
  if (!env) return;
  try {
    Settle(Napi::Env(env), *d);
  } catch (...) {  // nothing may escape into Node; a failed Reject leaves the Promise pending
  }
}

class Worker {
 public:
  Worker() {
    std::thread([this] { Loop(); }).detach();
  }

  enum class Admission { Taken, Full, Exiting };
  // Takes a pending slot for a new job, unless at the bound or exiting.
  Admission Admit() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return Admission::Exiting;
    if (max_pending_ > 0 && pending_ >= max_pending_) return Admission::Full;
    ++pending_;
    return Admission::Taken;
  }
  void Done() {
    std::lock_guard<std::mutex> lock(mutex_);
    --pending_;
  }

  void Push(Task task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(task));
    }
    ready_.notify_one();
  }

  size_t Pending() {
    std::lock_guard<std::mutex> lock(mutex_);
    return pending_;
  }
  size_t MaxPending() {
    std::lock_guard<std::mutex> lock(mutex_);
    return max_pending_;
  }
  void SetMaxPending(size_t n) {
    std::lock_guard<std::mutex> lock(mutex_);
    max_pending_ = n;
  }

  // The process is exiting: no job starts from now on; queued ones are dropped
  // (left in the queue, never run or freed: their state dies with the process).
  void Stop(int exit_code) {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    exit_code_ = exit_code;
  }
  // Whether a job (or the delivery of its result) is under way, and the exit code given to Stop.
  bool Busy(int* exit_code) {
    std::lock_guard<std::mutex> lock(mutex_);
    *exit_code = exit_code_;
    return busy_;
  }

 private:
  void Loop() {
    InitWorkerThreads();
    for (;;) {
      Task task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        // Once stopping, this never returns: the thread parks until the process ends.
        ready_.wait(lock, [this] { return !stopping_ && !queue_.empty(); });
        task = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
      }
      Run(task);
      std::lock_guard<std::mutex> lock(mutex_);
      busy_ = false;
    }
  }

  // The job, then its delivery to JS; every piece of its state is released here,
  // inside the busy span, so none of it is freed while the process exits.
  static void Run(Task& task) {
    auto delivery = std::move(task.delivery);
    try {
      // Each job sets its own grad mode; default to none.
      torch::NoGradGuard no_grad;
      delivery->finish = task.job();
    } catch (...) {
      delivery->failed = true;
      delivery->failure = CurrentFailure();
    }
    task.job = nullptr;  // release captured state on this thread, before JS sees the result
    Delivery* d = delivery.release();
    if (napi_call_threadsafe_function(task.tsfn, d, napi_tsfn_blocking) != napi_ok) delete d;
    napi_release_threadsafe_function(task.tsfn, napi_tsfn_release);
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Task> queue_;
  size_t pending_ = 0;
  size_t max_pending_ = 0;  // 0: no bound
  bool busy_ = false;
  bool stopping_ = false;
  int exit_code_ = 0;
};

std::atomic<Worker*> started{nullptr};

Worker& TheWorker() {
  // Never destroyed: the thread outlives static destruction at process exit.
  static Worker* worker = [] {
    auto* w = new Worker();
    started.store(w);
    return w;
  }();
  return *worker;
}

Delivery::~Delivery() { TheWorker().Done(); }

// Runs first among the C++ exit handlers (registered last, from the 'exit' event).
// With a job under way, static destructors would destroy LibTorch's state under
// it: end the process here instead, with the exit code JS gave.
void AtExit() {
  Worker* w = started.load();
  int code = 0;
  if (w && w->Busy(&code)) {
    std::fflush(nullptr);
    _exit(code);
  }
}

// process.on('exit', code => ...) on the main thread.
Napi::Value OnProcessExit(const Napi::CallbackInfo& info) {
  int code = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  if (Worker* w = started.load()) w->Stop(code);
  static std::once_flag once;
  std::call_once(once, [] { std::atexit(AtExit); });
  return info.Env().Undefined();
}

bool OnMainThread() { return syscall(SYS_gettid) == getpid(); }

Napi::Value PendingJobsJs(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(PendingJobs()));
}

// setMaxPendingJobs(n): n a non-negative integer, 0 for no bound; returns the previous bound.
Napi::Value SetMaxPendingJobsJs(const Napi::CallbackInfo& info) {
  Require(info[0].IsNumber(), "setMaxPendingJobs takes a non-negative integer (0: no bound)");
  double n = info[0].As<Napi::Number>().DoubleValue();
  Require(n >= 0 && n <= 1e15 && static_cast<double>(static_cast<int64_t>(n)) == n,
          "setMaxPendingJobs takes a non-negative integer (0: no bound), got " + std::to_string(n));
  size_t before = TheWorker().MaxPending();
  TheWorker().SetMaxPending(static_cast<size_t>(n));
  return Napi::Number::New(info.Env(), static_cast<double>(before));
}

}  // namespace

Napi::Promise Schedule(Napi::Env env, Job job) {
  auto deferred = Napi::Promise::Deferred::New(env);
  auto& worker = TheWorker();
  auto admission = worker.Admit();
  if (admission != Worker::Admission::Taken) {
    std::string message = admission == Worker::Admission::Full
                              ? "dpl-torch's job queue is full (" + std::to_string(worker.MaxPending()) +
                                    " pending, the bound set by setMaxPendingJobs); await earlier calls before "
                                    "making more, or raise the bound"
                              : "the process is exiting; no more tensor work runs";
    deferred.Reject(MakeJsError(env, Code::Busy, message).Value());
    return deferred.Promise();
  }
  auto delivery = std::make_unique<Delivery>(deferred);  // holds the slot from here on
  // A thread-safe function per job keeps the event loop alive until it settles.
  napi_threadsafe_function tsfn = nullptr;
  napi_status status = napi_create_threadsafe_function(env, nullptr, nullptr, Napi::String::New(env, "dpl-torch"), 0, 1,
                                                       nullptr, nullptr, nullptr, CallSettle, &tsfn);
  Require(status == napi_ok, "internal: could not make a thread-safe function", Code::Torch);
  worker.Push(Task{std::move(job), std::move(delivery), tsfn});
  return deferred.Promise();
}

size_t PendingJobs() { return TheWorker().Pending(); }

void StartWorker() { TheWorker(); }

void InitExecutor(Napi::Env env, Napi::Object exports) {
  exports.Set("pendingJobs", Napi::Function::New(env, PendingJobsJs));
  exports.Set("setMaxPendingJobs", Napi::Function::New(env, SetMaxPendingJobsJs));
  if (OnMainThread()) {
    auto process = env.Global().Get("process").As<Napi::Object>();
    process.Get("on").As<Napi::Function>().Call(
        process, {Napi::String::New(env, "exit"), Napi::Function::New(env, OnProcessExit, "dplTorchExit")});
  }
}

}  // namespace dpl
