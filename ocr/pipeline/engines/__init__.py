"""Recognition engines (handwritten digits, text, marks) behind one small interface."""
