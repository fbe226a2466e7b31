// A job on the libuv thread pool that uses a key object's schedules. It holds the key
// object and every buffer it touches until it ends, so none is collected or wiped under it.
#pragma once

#include <napi.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <vector>

namespace sectorcrypt {

template <class Store>
class KeyJob : public Napi::AsyncWorker {
 public:
  // work runs on a pool thread and must not touch JavaScript values; it returns one count
  // (jobs that need none return 0). result runs on the main thread afterwards and turns that
  // count into the value the promise resolves to. The count travels by value, not through a
  // shared_ptr: libstdc++'s shared_ptr inlines a GLIBC_2.32 symbol that older distributions lack.
  using Work = std::function<uint64_t()>;
  using Result = std::function<Napi::Value(Napi::Env, uint64_t)>;

  KeyJob(Napi::Env env, Store& store, std::initializer_list<Napi::Object> keep, Work work, Result result)
      : Napi::AsyncWorker(env, "sectorcrypt"),
        deferred_(Napi::Promise::Deferred::New(env)),
        store_(store),
        work_(std::move(work)),
        result_(std::move(result)) {
    for (const Napi::Object& o : keep) keep_.push_back(Napi::Persistent(o));
    store_.acquire();
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override { count_ = work_(); }

  void OnOK() override {
    store_.release();
    deferred_.Resolve(result_(Env(), count_));
  }

  void OnError(const Napi::Error& e) override {
    store_.release();
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Store& store_;
  Work work_;
  Result result_;
  uint64_t count_ = 0;
  std::vector<Napi::ObjectReference> keep_;
};

// Starts work on the thread pool and returns its promise; a job under kAsyncMinBytes runs
// right here instead (a thread-pool hop costs more than it) and returns a settled promise.
constexpr size_t kAsyncMinBytes = 64 * 1024;

template <class Store>
Napi::Value run_async(Napi::Env env, size_t bytes, Store& store, std::initializer_list<Napi::Object> keep,
                      typename KeyJob<Store>::Work work, typename KeyJob<Store>::Result result) {
  if (bytes < kAsyncMinBytes) {
    const uint64_t count = work();
    Napi::Promise::Deferred done = Napi::Promise::Deferred::New(env);
    done.Resolve(result(env, count));
    return done.Promise();
  }
  auto* job = new KeyJob<Store>(env, store, keep, std::move(work), std::move(result));
  job->Queue();
  return job->Promise();
}

}  // namespace sectorcrypt
