// cpns::Mutex: a std::timed_mutex with clang thread-safety annotations, a
// deadline-bounded lock and a deadline-bounded wait.
//
// Why not absl::Mutex: Debian's abseil is a prebuilt, uninstrumented library,
// so ThreadSanitizer cannot see absl::Mutex's happens-before edges and reports
// every guarded access as a race. std::mutex is pthread underneath, which TSan
// intercepts; the annotations keep -Wthread-safety checking as with absl.
// Thread-safe, of course.
#ifndef CPNS_CORE_MUTEX_H_
#define CPNS_CORE_MUTEX_H_

#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

namespace cpns {

class ABSL_LOCKABLE Mutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  // Locks unless `deadline` passes first; true when locked.
  bool LockUntil(absl::Time deadline) ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) {
    if (deadline == absl::InfiniteFuture()) {
      mu_.lock();
      return true;
    }
    return mu_.try_lock_until(absl::ToChronoTime(deadline));
  }

  // With the mutex held: waits (releasing it meanwhile) until `condition()`
  // is true or `deadline` passes; returns `condition()`. Wakes on SignalAll().
  template <typename Condition>
  bool AwaitWithDeadline(Condition condition, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    std::unique_lock<std::timed_mutex> lock(mu_, std::adopt_lock);
    bool result;
    if (deadline == absl::InfiniteFuture()) {
      cv_.wait(lock, condition);
      result = true;
    } else {
      result = cv_.wait_until(lock, absl::ToChronoTime(deadline), condition);
    }
    lock.release();  // still held; the caller's MutexLock unlocks it
    return result;
  }

  // Wakes every waiter of AwaitWithDeadline to re-check its condition.
  void SignalAll() { cv_.notify_all(); }

 private:
  std::timed_mutex mu_;
  std::condition_variable_any cv_;
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

}  // namespace cpns

#endif  // CPNS_CORE_MUTEX_H_
