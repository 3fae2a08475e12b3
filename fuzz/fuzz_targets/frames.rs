// Shared by the targets that take multipart input: the fuzz bytes split into
// frames at each 0xFF byte, so one input is any list of frames.
pub fn split_frames(data: &[u8]) -> Vec<&[u8]> {
    data.split(|&b| b == 0xFF).collect()
}
