#pragma once
/// ScratchArray: the flow model's per-solve arrays (sim/flow_model.h, sim/level_queue.h).
#include <cstddef>
#include <vector>

namespace ua2a {

/// An array refilled by every solve of the flow model: sized up front for the largest component
/// the model can hold (reserve), then appended to with no capacity check per element (collecting
/// a component appends some twenty elements per flow).
template <class T>
class ScratchArray {
 public:
  void reserve(std::size_t n) {
    if (data_.size() < n) data_.resize(n);
  }
  void clear() { size_ = 0; }
  void push_back(const T& v) { data_[size_++] = v; }
  void pop_back() { --size_; }
  T& back() { return data_[size_ - 1]; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  T* begin() { return data_.data(); }
  T* end() { return data_.data() + size_; }

 private:
  std::vector<T> data_;
  std::size_t size_ = 0;
};

}  // namespace ua2a
