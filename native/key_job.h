// A job on the libuv thread pool that uses a key object's schedules. It holds the key
// object and every buffer it touches until it ends, so none is collected or wiped under it.
#pragma once

#include <napi.h>

#include <functional>
#include <initializer_list>
#include <vector>

namespace sectorcrypt {

template <class Store>
class KeyJob : public Napi::AsyncWorker {
 public:
  // work runs on a pool thread and must not touch JavaScript values; its result
  // resolves the promise (a boolean, or undefined when as_boolean is false).
  KeyJob(Napi::Env env, Store& store, std::initializer_list<Napi::Object> keep, std::function<bool()> work,
         bool as_boolean)
      : Napi::AsyncWorker(env, "sectorcrypt"),
        deferred_(Napi::Promise::Deferred::New(env)),
        store_(store),
        work_(std::move(work)),
        as_boolean_(as_boolean) {
    for (const Napi::Object& o : keep) keep_.push_back(Napi::Persistent(o));
    store_.acquire();
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override { result_ = work_(); }

  void OnOK() override {
    store_.release();
    Napi::Env env = Env();
    deferred_.Resolve(as_boolean_ ? Napi::Boolean::New(env, result_) : env.Undefined());
  }

  void OnError(const Napi::Error& e) override {
    store_.release();
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Store& store_;
  std::function<bool()> work_;
  bool as_boolean_;
  bool result_ = false;
  std::vector<Napi::ObjectReference> keep_;
};

}  // namespace sectorcrypt
