#include "executor.h"

#include <torch/torch.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "errors.h"

namespace dpl {
namespace {

struct Outcome {
  Napi::Promise::Deferred deferred;
  Finisher finish;
  std::string error;  // non-empty: reject with this message
};

struct Task {
  Job job;
  std::shared_ptr<Outcome> outcome;
  Napi::ThreadSafeFunction tsfn;
};

class Worker {
 public:
  Worker() : thread_([this] { Loop(); }) { thread_.detach(); }

  void Push(Task task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(task));
      ++pending_;
    }
    ready_.notify_one();
  }

  size_t Pending() {
    std::lock_guard<std::mutex> lock(mutex_);
    return pending_;
  }

 private:
  void Loop() {
    for (;;) {
      Task task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return !queue_.empty(); });
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      try {
        // Each job sets its own grad mode; default to none.
        torch::NoGradGuard no_grad;
        task.outcome->finish = task.job();
      } catch (...) {
        task.outcome->error = DescribeCurrentException();
      }
      task.job = nullptr;  // release captured state on this thread, before JS sees the result
      auto outcome = task.outcome;
      task.tsfn.BlockingCall([outcome](Napi::Env env, Napi::Function) { Settle(env, *outcome); });
      task.tsfn.Release();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        --pending_;
      }
    }
  }

  static void Settle(Napi::Env env, Outcome& outcome) {
    Napi::HandleScope scope(env);
    if (!outcome.error.empty()) {
      outcome.deferred.Reject(Napi::Error::New(env, outcome.error).Value());
      return;
    }
    try {
      outcome.deferred.Resolve(outcome.finish(env));
    } catch (const Napi::Error& e) {
      outcome.deferred.Reject(e.Value());
    } catch (...) {
      outcome.deferred.Reject(Napi::Error::New(env, DescribeCurrentException()).Value());
    }
    outcome.finish = nullptr;
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Task> queue_;
  size_t pending_ = 0;
  std::thread thread_;
};

Worker& TheWorker() {
  // Never destroyed: the thread outlives static destruction at process exit.
  static Worker* worker = new Worker();
  return *worker;
}

}  // namespace

Napi::Promise Schedule(Napi::Env env, Job job) {
  auto outcome = std::make_shared<Outcome>(Outcome{Napi::Promise::Deferred::New(env), nullptr, {}});
  // A thread-safe function per job keeps the event loop alive until it settles.
  auto tsfn = Napi::ThreadSafeFunction::New(
      env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "dpl-torch", 0, 1);
  Napi::Promise promise = outcome->deferred.Promise();
  TheWorker().Push(Task{std::move(job), outcome, tsfn});
  return promise;
}

size_t PendingJobs() { return TheWorker().Pending(); }

}  // namespace dpl
